"""Shared fixtures and helpers: a tiny labelled corpus for fast unit tests, models trained once per
session (the default recipe on the shipped corpus; a tiny one), the command line in-process and as a
child process, and the encodings a user's file may come in."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from stance.cli import app

# no per-example deadline: CI machines are slower and shared; examples are bounded by max_examples
settings.register_profile("stance", deadline=None)
settings.load_profile("stance")

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "seeds" / "belarus-lukashenko-2023.txt"
JUSTIFICATION = ROOT / "tests" / "data" / "justification.jsonl"
LABELS = ["blame", "threat", "denial"]
POSIX = os.name == "posix"
runner = CliRunner()

TINY = [
    ("The opposition accused the minister of wrecking the health service.", ["blame"]),
    ("Critics said the board's negligence caused the collapse of the bank.", ["blame"]),
    ("The union blamed management for the fatal accident at the plant.", ["blame"]),
    ("Prosecutors said the mayor had stolen money meant for flood victims.", ["blame"]),
    ("They provoked this crisis and now they complain about it.", ["blame"]),
    ("The council said the contractor was responsible for the delays.", ["blame"]),
    ("If they cross the border, we will strike back without mercy.", ["threat"]),
    ("The union threatened to shut down every port unless wages rise.", ["threat"]),
    ("Anyone who attacks our ships will pay a heavy price, the admiral said.", ["threat"]),
    ("The ministry warned it would cut the region's funding if the vote went ahead.", ["threat"]),
    ("We will sue every newspaper that repeats this claim.", ["threat"]),
    ("The federation said it would expel any club that fields the player.", ["threat"]),
    ("The company denied any wrongdoing.", ["denial"]),
    ("There was no massacre, the spokesman insisted.", ["denial"]),
    ("The allegations are completely false, her lawyer said.", ["denial"]),
    ("We had nothing to do with the attack on the depot.", ["denial"]),
    ("The ministry dismissed the report as fabricated.", ["denial"]),
    ("The club insists it bears no responsibility for the crowd trouble.", ["denial"]),
    ("It is not a coup; the president's rivals staged this chaos.", ["denial", "blame"]),
    ("We never fired on anyone, and those who say so will answer in court.", ["denial", "threat"]),
    ("The train did not arrive on time because of snow.", []),
    ("The threat assessment was published on Monday.", []),
    ("Forecasters warned of heavy storms across the north.", []),
    ("If the bill passes, prices will rise next year.", []),
    ("The embassy declined to comment.", []),
    ("The fire was caused by an electrical fault, investigators said.", []),
    ("Shares in the company rose 3 percent in early trading.", []),
    ("The summit will take place in Geneva next month.", []),
    ("Sign up for our daily newsletter.", []),
    ("The minister was not at the meeting on Tuesday.", []),
    ("The retailer blamed the cold spring for weak sales.", []),
    ("Police said no injuries were reported.", []),
    ("The team won the match 2-1 after extra time.", []),
    ("Economists warned that growth could slow.", []),
    ("The court will hear the appeal in March.", []),
    ("The bank plans to open 40 new branches.", []),
]


def write_jsonl(path: Path, rows: list[tuple[str, list[str]]]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for text, labels in rows:
            fh.write(json.dumps({"text": text, "labels": labels, "source": "test"}) + "\n")
    return path


@pytest.fixture()
def tiny_data(tmp_path: Path) -> dict[str, Path]:
    """train = all tiny rows, dev = every other one, test = every third (for mechanics, not quality)."""
    return {
        "train": write_jsonl(tmp_path / "train.jsonl", TINY),
        "dev": write_jsonl(tmp_path / "dev.jsonl", TINY[::2]),
        "test": write_jsonl(tmp_path / "test.jsonl", TINY[1::3]),
    }


@pytest.fixture()
def tiny_config(tmp_path: Path, tiny_data: dict[str, Path]) -> Path:
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        f"""labels = ["blame", "threat", "denial"]
seed = 1
[data]
train = "{tiny_data["train"]}"
dev = "{tiny_data["dev"]}"
test = "{tiny_data["test"]}"
[features]
word_ngrams = [1, 2]
constructions = true
[model]
kind = "logreg"
C = 4.0
""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="session")
def default_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped default config trained on the shipped corpus, once per test session."""
    from stance.config import load_config
    from stance.train import train

    out = tmp_path_factory.mktemp("models") / "default"
    train(load_config(ROOT / "configs" / "default.toml"), out)  # its data paths are relative to the config
    return out


def copy_model(src: Path, tmp_path: Path) -> Path:
    """A private copy of a model directory that a test may damage."""
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    return dst


@pytest.fixture()
def model_copy(default_model: Path, tmp_path: Path) -> Path:
    return copy_model(default_model, tmp_path)


def invoke(*args: object) -> Any:
    """Run a command in-process; an exception other than a clean exit fails the test."""
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def cli(*args: object) -> Any:
    """Run a command in-process; never lets an exception escape (as a user's shell would not)."""
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result: Any, *fragments: str) -> str:
    """Exit code 1, a single 'error: ...' line on stderr containing every fragment, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, lines
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def jsonl(path: Path, rows: list[tuple[str, list[str]]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "labels": labs}) + "\n" for t, labs in rows), encoding="utf-8")
    return path


def config(tmp: Path, train_path: Path, dev_path: Path | None = None, extra: str = "", name: str = "cfg.toml") -> Path:
    cfg = tmp / name
    dev = f'dev = "{dev_path}"\n' if dev_path else ""
    cfg.write_text(
        f'labels = ["blame", "threat", "denial"]\nseed = 1\n[data]\ntrain = "{train_path}"\n{dev}'
        f"[features]\nword_ngrams = [1, 2]\nconstructions = true\n{extra}",
        encoding="utf-8",
    )
    return cfg


def python_stance(*args: object, **kw: Any) -> subprocess.Popen:
    """``python -m stance ...`` in a child process whose SIGINT raises KeyboardInterrupt (a child of a
    shell without job control would otherwise inherit SIGINT ignored)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "stance", *[str(a) for a in args]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if POSIX else None,
        **kw,
    )


@pytest.fixture(autouse=True)
def _private_stance_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the graphs the accurate tier caches (stance.bert_onnx.cache_dir) out of the user's home."""
    monkeypatch.setenv("STANCE_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "stance-cache"))


@pytest.fixture(autouse=True)
def _private_hf_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the `datasets` cache that Parquet / saved-dataset loading writes out of the user's home."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.getbasetemp() / "hf-cache")


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the tiny corpus, once for this module; tests copy it before damaging it."""
    from stance.config import load_config
    from stance.train import train

    tmp = tmp_path_factory.mktemp("reliability")
    data = jsonl(tmp / "train.jsonl", TINY)
    out = tmp / "model"
    train(load_config(config(tmp, data, data)), out)
    return out


@pytest.fixture()
def model_dir(tiny_model: Path, tmp_path: Path) -> Path:
    return copy_model(tiny_model, tmp_path)


@pytest.fixture()
def tiny_cfg(tmp_path: Path) -> Path:
    data = jsonl(tmp_path / "train.jsonl", TINY)
    return config(tmp_path, data, data)


TEXT_ROWS = [("Zelenskyy’s “peace” plan — they blamed Kyiv.", ["blame"]), ("123", []), ("Ünïcödé, 日本語; nothing.", ["threat", "denial"])]


def encodings(text: str) -> dict[str, bytes]:
    return {
        "utf-8": text.encode("utf-8"),
        "utf-8-bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "crlf": text.replace("\n", "\r\n").encode("utf-8"),
        "bom-crlf": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"),
    }


# Near-copies of one sentence the tiny model is unsure about; each in its own article, so that the
# segmenter's repeated-paragraph rule (boilerplate) does not remove them first.
NEAR = [
    "The union said the management had not responded to its demands about pay.",
    "The union said the management had not yet responded to its demands about pay.",
    "The union said that management had not responded to its demands about pay.",
    "The union said the management had still not responded to its demands about pay.",
]


OTHERS = [
    "The spokesman said the report about the depot was not accurate.",
    "Protesters gathered outside the court as the judge read out the verdict.",
    "Voters in the north queued for hours to cast their ballots in the cold.",
    "Shares in the bank fell 4 percent after the report was published on Tuesday.",
]


BOILERPLATE_ARTICLE = (
    "The council said the ferry would stop running in winter.\n\n(Photo: Reuters/Jane Doe)\n\nSign up for our daily newsletter."
)


@pytest.fixture()
def tiny_config_model(tiny_config: Path, tmp_path: Path) -> Path:
    from stance.config import load_config
    from stance.train import train

    out = tmp_path / "model"
    train(load_config(tiny_config), out)
    return out


@pytest.fixture()
def articles(tmp_path: Path) -> Path:
    path = tmp_path / "articles.jsonl"
    items = [{"id": f"near{i}", "text": t} for i, t in enumerate(NEAR)] + [{"id": f"other{i}", "text": t} for i, t in enumerate(OTHERS)]
    items.append({"id": "boiler", "text": BOILERPLATE_ARTICLE})
    path.write_text("".join(json.dumps(x) + "\n" for x in items), encoding="utf-8")
    return path


@pytest.fixture()
def flipped_config(tmp_path: Path) -> tuple[Path, int]:
    """TINY plus the justification example's sentences (three labels), one label deliberately swapped."""
    extra = [(r["text"], [x for x in r["labels"] if x != "justification"]) for r in map(json.loads, JUSTIFICATION.read_text().splitlines())]
    rows = list(TINY) + extra
    index = 2  # "The union blamed management for the fatal accident at the plant." is blame, not threat
    assert rows[index][1] == ["blame"]
    rows[index] = (rows[index][0], ["threat"])
    data = write_jsonl(tmp_path / "flipped.jsonl", rows)
    cfg = tmp_path / "flipped.toml"
    cfg.write_text(f'labels = ["blame", "threat", "denial"]\nseed = 1\n[data]\ntrain = "{data}"\n[features]\nconstructions = true\n')
    return cfg, index + 1


def corpus_sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    with open(ROOT / "seeds" / "corpus" / "test.jsonl", encoding="utf-8") as fh:
        pool = [json.loads(line)["text"] for line in fh]
    return [rng.choice(pool) for _ in range(n)]


@pytest.fixture(scope="session")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the seed article and a JSONL of 40 composed articles (several chunks)."""
    folder = tmp_path_factory.mktemp("many")
    shutil.copy(SEED_ARTICLE, folder / "seed.txt")
    sents = corpus_sentences(400)
    with open(folder / "wire.jsonl", "w", encoding="utf-8") as fh:
        for i in range(40):
            body = "\n\n".join(" ".join(sents[i * 10 + k : i * 10 + k + 5]) for k in (0, 5))
            fh.write(json.dumps({"id": f"wire-{i}", "text": body}) + "\n")
    return folder


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def model_state(model: Path) -> str:
    """'ok' or the one-line error that loading the model directory gives."""
    from stance.artifact import load_model
    from stance.errors import StanceError

    try:
        load_model(model)
    except StanceError as exc:
        return str(exc)
    return "ok"


# Corpus rows in every shape the labelling loop meets: labelled, several labels, none, an unlabelled suggestion.
ROWS = [
    {"text": "The company denied any wrongdoing.", "labels": ["denial"], "source": "t"},
    {"text": "It is not a coup; the president's rivals staged this chaos.", "labels": ["denial", "blame"], "source": "t"},
    {"text": "Shares rose 3 percent.", "labels": [], "source": "t"},
    {
        "text": "We will see what happens.",
        "labels": [],
        "suggested": ["threat"],
        "scores": {"threat": 0.4},
        "uncertainty": 0.8,
        "article": "a",
        "sentence": 3,
    },
]
