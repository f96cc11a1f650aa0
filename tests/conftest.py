"""Shared fixtures: a tiny labelled corpus for fast unit tests, and the default model trained once
on the shipped seed corpus for the command-line tests."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

# no per-example deadline: CI machines are slower and shared; examples are bounded by max_examples
settings.register_profile("stance", deadline=None)
settings.load_profile("stance")

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT / "seeds" / "belarus-lukashenko-2023.txt"

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
    cwd = os.getcwd()
    os.chdir(ROOT)  # config paths are relative to where the command runs
    try:
        train(load_config(ROOT / "configs" / "default.toml"), out)
    finally:
        os.chdir(cwd)
    return out


def copy_model(src: Path, tmp_path: Path) -> Path:
    """A private copy of a model directory that a test may damage."""
    dst = tmp_path / "model"
    shutil.copytree(src, dst)
    return dst


@pytest.fixture()
def model_copy(default_model: Path, tmp_path: Path) -> Path:
    return copy_model(default_model, tmp_path)
