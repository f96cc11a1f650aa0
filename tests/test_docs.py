"""The documentation that describes the code stays true: docs/architecture.md's import rules, and
CI running exactly the README's test command."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT

STANCE = ROOT / "stance"


def _module_name(path) -> str:  # noqa: ANN001
    parts = path.relative_to(STANCE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "stance"


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes inside ``if TYPE_CHECKING:`` blocks (type hints only)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            out |= {id(n) for n in ast.walk(node)}
    return out


def _stance_imports(path) -> set[str]:  # noqa: ANN001
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and (node.module == "stance" or node.module.startswith("stance.")):
            if node.module == "stance":  # `from stance import x`: a submodule, or the package itself
                for alias in node.names:
                    found.add(alias.name if (STANCE / f"{alias.name}.py").exists() or (STANCE / alias.name).is_dir() else "stance")
            else:
                found.add(node.module[len("stance.") :])
        elif isinstance(node, ast.Import):
            found |= {a.name[len("stance.") :] for a in node.names if a.name.startswith("stance.")}
    return found


def _documented_rules() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"```imports\n(.*?)```", text, re.S).group(1)
    rules = {}
    for line in block.strip().splitlines():
        name, _, deps = line.partition(":")
        rules[name.strip()] = set(deps.split())
    return rules


def test_every_module_imports_only_what_the_architecture_page_allows() -> None:
    rules = _documented_rules()
    modules = {_module_name(p): p for p in STANCE.rglob("*.py")}
    assert set(rules) == set(modules), "docs/architecture.md must list every module, and only those"
    for name, path in modules.items():
        actual = _stance_imports(path) - {name}
        assert actual <= rules[name], f"{name} imports {sorted(actual - rules[name])}, which docs/architecture.md does not allow"
        for dep in rules[name]:
            assert dep in modules, f"docs/architecture.md: {name} may import {dep}, which does not exist"


def test_the_flow_is_one_way() -> None:
    """Apart from the command line and the API, a module imports only modules listed before it."""
    rules = _documented_rules()
    order = list(rules)
    for name, deps in rules.items():
        if name.startswith("cli") or name in ("stance", "__main__"):
            continue
        for dep in deps:
            assert order.index(dep) < order.index(name), f"{name} reaches forward to {dep}"


def test_no_module_is_over_about_400_lines() -> None:
    for path in STANCE.rglob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 420, path


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"Set up and run the tests.*?```bash\n(.*?)\n```", readme, re.S).group(1)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert ci == command
    assert "ruff check ." in command and "ruff format --check ." in command and "pytest" in command


def test_the_readmes_outputs_are_ignored_by_git() -> None:
    """Running the README's commands in a clone leaves nothing for `git status` to show."""
    import fnmatch

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = readme.split("## The two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    outputs = re.findall(r"--(?:out|summary|markdown|html) (\S+)", command)
    assert {"summary.json", "scores.jsonl", "report.json", "models/default"} <= set(outputs)
    patterns = [p.strip() for p in (ROOT / ".gitignore").read_text().splitlines() if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        parts = path.split("/")
        return any(
            fnmatch.fnmatch(path, p.lstrip("/").rstrip("/")) or (not p.startswith("/") and fnmatch.fnmatch(parts[0], p.rstrip("/")))
            for p in patterns
        )

    assert [o for o in outputs if not ignored(o)] == []
