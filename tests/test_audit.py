"""stance.audit: likely label errors from out-of-fold predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stance.audit import audit, disagreement, rank_disagreements
from stance.errors import StanceError
from tests.conftest import (
    TINY,
)


@pytest.mark.parametrize("method", ["fallback", "cleanlab"])
def test_audit_ranks_a_flipped_label_near_the_top(flipped_config: tuple[Path, int], method: str) -> None:
    from stance.config import load_config

    if method == "cleanlab":
        pytest.importorskip("cleanlab")
    cfg, line = flipped_config
    result = audit(load_config(cfg), folds=5, method=method)
    assert result["method"] == method and result["n"] == len(TINY) + 43
    ranks = {i["line"]: i for i in result["issues"]}
    assert line in ranks and ranks[line]["rank"] <= 3
    issue = ranks[line]
    assert issue["labels"] == ["threat"] and "blame" in issue["suspected"] and "blame" in issue["add"]
    assert issue["file"].endswith("flipped.jsonl") and issue["text"].startswith("The union blamed")
    assert set(issue["scores"]) == {"blame", "threat", "denial"}
    assert len(audit(load_config(cfg), folds=5, method=method, top=2)["issues"]) == 2


def test_audit_without_cleanlab_falls_back(flipped_config: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from stance.config import load_config

    real_import = builtins.__import__

    def no_cleanlab(name: str, *args: object, **kwargs: object) -> object:
        if name == "cleanlab" or name.startswith("cleanlab."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cleanlab)
    cfg = load_config(flipped_config[0])
    assert audit(cfg, folds=3, method="auto", top=1)["method"] == "fallback"
    with pytest.raises(StanceError, match="stance\\[labelling\\]"):
        audit(cfg, folds=3, method="cleanlab")


def test_fallback_ranks_the_most_confident_disagreement_first() -> None:
    Y = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    P = np.array([[0.1, 0.2], [0.6, 0.1], [0.9, 0.8], [0.45, 0.7]])
    D = np.array([[0, 0], [1, 0], [1, 1], [1, 1]])  # the fold models' own decisions
    assert disagreement(Y, P, D).round(2).tolist() == [0.9, 0.6, 0.0, 0.45]
    assert rank_disagreements(Y, P, D) == [0, 1, 3]  # row 2 agrees everywhere: not an issue


def test_top_must_not_be_negative(flipped_config: tuple[Path, int]) -> None:
    from stance.config import load_config

    with pytest.raises(StanceError, match="--top must be 0"):
        audit(load_config(flipped_config[0]), folds=2, top=-1)


_FORK_SCRIPT = """
import multiprocessing, signal, time
from stance.cli import _app

def handler(_):
    h = signal.getsignal(signal.SIGTERM)
    return getattr(h, "__name__", str(h))

def work(_):
    time.sleep(30)

def run():
    pool = multiprocessing.get_context("fork").Pool(2)
    print("worker handler:", pool.apply(handler, (0,)), flush=True)
    pool.map_async(work, range(2))
    time.sleep(0.5)
    pool.terminate()  # what cleanlab's pool does after the last fold
    pool.join()
    print("done", flush=True)

_app.app = run
_app.main()
"""


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork start method")
def test_forked_workers_do_not_inherit_the_cli_sigterm_handler(tmp_path: Path) -> None:
    """The hang: cleanlab's pool is terminated with SIGTERM, and workers that inherited the CLI's handler
    raised KeyboardInterrupt (ForkPoolWorker tracebacks) instead of exiting."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = tmp_path / "fork.py"
    script.write_text(_FORK_SCRIPT)
    r = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "worker handler: _sigterm" not in r.stdout and "done" in r.stdout
    assert "Traceback" not in r.stderr and "ForkPoolWorker" not in r.stderr


def test_audit_reports_progress_fold_by_fold(flipped_config: tuple[Path, int]) -> None:
    from stance.config import load_config

    steps: list[str] = []
    audit(load_config(flipped_config[0]), folds=3, method="fallback", on_step=steps.append)
    assert [s for s in steps if s.startswith("fold")] == ["fold 1/3", "fold 2/3", "fold 3/3"]


def test_issues_name_the_file_of_a_split_joined_from_several(tmp_path: Path) -> None:
    from stance.config import load_config
    from tests.conftest import write_jsonl

    a = write_jsonl(tmp_path / "a.jsonl", TINY[::2])
    b = write_jsonl(tmp_path / "b.jsonl", TINY[1::2])
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'labels = ["blame", "threat", "denial"]\nseed = 1\n[data]\ntrain = ["{a}", "{b}"]\n')
    result = audit(load_config(cfg), folds=3, method="fallback", top=0)
    assert result["issues"] and {i["file"] for i in result["issues"]} <= {str(a), str(b)}
    for issue in result["issues"]:
        rows = (a if issue["file"] == str(a) else b).read_text().splitlines()
        assert issue["text"] in rows[issue["line"] - 1]
