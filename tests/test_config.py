"""stance.config: TOML in, typed config out, errors that name the file and the key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stance.config import Config, DataConfig, apply_overrides, config_from_dict, load_config, parse_override, relative_data_paths
from stance.errors import StanceError

ROOT = Path(__file__).resolve().parents[1]
# the shipped recipes; *-example.toml configs show other label sets and data
CONFIGS = sorted(p for p in (ROOT / "configs").glob("*.toml") if not p.name.endswith("-example.toml"))


def toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, encoding="utf-8")
    return p


def error(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(StanceError) as info:
        load_config(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    return message


# ---------------------------------------------------------------------------------------------
# Shipped configs


def test_configs_exist() -> None:
    assert {p.name for p in CONFIGS} >= {"default.toml", "hashing-sgd.toml", "svm-char.toml"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load(path: Path) -> None:
    cfg = load_config(path)
    assert isinstance(cfg, Config)
    assert cfg.labels == ["blame", "threat", "denial"]
    assert cfg.seed == 13
    # data paths are relative to the config file, so they resolve whatever the working directory;
    # every shipped recipe trains on written and real text and tunes thresholds on real text
    assert [Path(p).resolve() for p in cfg.data.train] == [
        ROOT / "seeds" / "corpus" / "train.jsonl",
        ROOT / "seeds" / "real" / "train.jsonl",
    ]
    assert Path(cfg.data.dev).resolve() == ROOT / "seeds" / "real" / "dev.jsonl"
    assert Path(cfg.data.test).resolve() == ROOT / "seeds" / "real" / "test.jsonl"
    assert isinstance(cfg.model.C, float)


def test_default_config_values() -> None:
    cfg = load_config(ROOT / "configs" / "default.toml")
    assert cfg.model.kind == "logreg" and cfg.model.C == 16.0
    assert cfg.features.kind == "tfidf" and cfg.features.word_ngrams == [1, 2] and cfg.features.char_ngrams == []
    assert cfg.features.constructions is False
    assert cfg.tune.grid == {"model.C": [4.0, 8.0, 16.0, 32.0]}
    assert cfg.thresholds.strategy == "dev" and cfg.thresholds.none_rate == 0.0
    assert Path(cfg.data.dev).resolve() == ROOT / "seeds" / "real" / "dev.jsonl"
    assert cfg.features.stem_ngrams == [1, 2]


def test_other_configs_values() -> None:
    sgd = load_config(ROOT / "configs" / "hashing-sgd.toml")
    assert (sgd.model.kind, sgd.model.alpha, sgd.features.kind, sgd.features.n_features) == ("sgd", 2e-05, "hashing", 1048576)
    svm = load_config(ROOT / "configs" / "svm-char.toml")
    assert (svm.model.kind, svm.model.C, svm.features.char_ngrams) == ("linear_svm", 0.5, [2, 5])


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load_config(toml(tmp_path, "")) == Config()


def test_to_dict_round_trips() -> None:
    cfg = load_config(ROOT / "configs" / "default.toml")
    assert config_from_dict(cfg.to_dict()) == cfg


# ---------------------------------------------------------------------------------------------
# Unknown keys


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[modle]\nC = 1\n", "unknown config key 'modle' (did you mean \"model\"?)"),
        ("[model]\nCc = 1\n", "unknown config key 'model.Cc' (did you mean \"C\"?)"),
        ("lables = ['a']\n", "unknown config key 'lables' (did you mean \"labels\"?)"),
        ("[data]\ntext_feild = 'x'\n", "unknown config key 'data.text_feild' (did you mean \"text_field\"?)"),
        ("[features]\nword_ngram = [1, 2]\n", "unknown config key 'features.word_ngram' (did you mean \"word_ngrams\"?)"),
        ("[zzz]\nq = 1\n", "unknown config key 'zzz'"),
    ],
)
def test_unknown_keys(tmp_path: Path, text: str, fragment: str) -> None:
    p = toml(tmp_path, text)
    message = error(p)
    assert message.startswith(f"{p}: ")
    assert fragment in message


def test_unknown_key_without_close_match_has_no_hint(tmp_path: Path) -> None:
    assert "did you mean" not in error(toml(tmp_path, "[zzz]\nq = 1\n"))


# ---------------------------------------------------------------------------------------------
# Wrong types and values


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[model]\nC = 'x'\n", "config key 'model.C': expected float, got str 'x'"),
        ("[model]\nC = true\n", "config key 'model.C': expected float, got bool"),
        ("seed = 'x'\n", "config key 'seed': expected int, got str 'x'"),
        ("seed = true\n", "config key 'seed': expected int, got bool True"),
        ("seed = 1.5\n", "config key 'seed': expected int, got float"),
        ("labels = 'blame'\n", "config key 'labels': expected a list, got str"),
        ("labels = ['a', 1]\n", "config key 'labels[1]': expected str, got int 1"),
        ("[features]\nword_ngrams = 'x'\n", "config key 'features.word_ngrams': expected a list"),
        ("[features]\nword_ngrams = [1, 'a']\n", "config key 'features.word_ngrams[1]'"),
        ("[features]\nmax_features = 'x'\n", "config key 'features.max_features': expected int"),
        ("[features]\nsublinear_tf = 1\n", "config key 'features.sublinear_tf': expected bool"),
        (
            "[model]\nkind = 'logrg'\n",
            "config key 'model.kind': 'logrg' is not one of 'logreg', 'linear_svm', 'sgd', 'transformer' (did you mean \"logreg\"?)",
        ),
        ("[data]\nlabel_format = 'csv'\n", "config key 'data.label_format'"),
        ("[data]\ndev = 3\n", "config key 'data.dev': expected str, got int 3"),
        ("model = 3\n", "config key 'model': expected a [model] table"),
        ("[tune]\ngrid = {'model.C' = 3}\n", "config key 'tune.grid.model.C': expected a list of values or a distribution"),
        ("[tune]\ngrid = [1]\n", "config key 'tune.grid': expected a table"),
    ],
)
def test_wrong_types_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    p = toml(tmp_path, text)
    message = error(p)
    assert message.startswith(f"{p}: ")
    assert fragment in message


@pytest.mark.parametrize(
    "text, key",
    [
        ("labels = []\n", "labels"),
        ("labels = ['a', 'a']\n", "labels"),
        ("[features]\nword_ngrams = [3, 1]\n", "features.word_ngrams"),
        ("[features]\nword_ngrams = [0, 1]\n", "features.word_ngrams"),
        ("[features]\nword_ngrams = [1, 2, 3]\n", "features.word_ngrams"),
        ("[features]\nchar_ngrams = [5, 2]\n", "features.char_ngrams"),
        ("[features]\nword_ngrams = []\nchar_ngrams = []\n", "features.word_ngrams"),
        ("[thresholds]\nnone_rate = 1.0\n", "thresholds.none_rate"),
        ("[thresholds]\nfixed = 0\n", "thresholds.fixed"),
        ("[model]\nC = 0\n", "model.C"),
    ],
)
def test_cross_key_checks(tmp_path: Path, text: str, key: str) -> None:
    assert f"config key '{key}'" in error(toml(tmp_path, text))


def test_ints_coerce_to_floats(tmp_path: Path) -> None:
    cfg = load_config(toml(tmp_path, "[model]\nC = 2\n[features]\nmax_df = 1\n"))
    assert cfg.model.C == 2.0 and isinstance(cfg.model.C, float)
    assert isinstance(cfg.features.max_df, float)


def test_optional_and_tables(tmp_path: Path) -> None:
    cfg = load_config(
        toml(tmp_path, "[features]\nmax_features = 5000\n[tune]\ngrid = {'model.C' = [0.5, 1], 'features.min_df' = [1, 2]}\n")
    )
    assert cfg.features.max_features == 5000
    assert cfg.tune.grid == {"model.C": [0.5, 1], "features.min_df": [1, 2]}


# ---------------------------------------------------------------------------------------------
# Overrides


def test_overrides(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs" / "default.toml", ["model.C=2", "data.train=x.jsonl", "features.word_ngrams=[1,3]"])
    assert cfg.model.C == 2.0 and isinstance(cfg.model.C, float)
    assert cfg.data.train == "x.jsonl"
    assert cfg.features.word_ngrams == [1, 3]
    # the rest of the file is kept
    assert cfg.model.kind == "logreg" and Path(cfg.data.dev).resolve() == ROOT / "seeds" / "real" / "dev.jsonl"


def test_overrides_on_empty_file_create_sections(tmp_path: Path) -> None:
    cfg = load_config(toml(tmp_path, ""), ["seed=7", "data.dev='dev set.jsonl'", "labels=['a','b']", "features.constructions=true"])
    assert cfg.seed == 7 and cfg.data.dev == "dev set.jsonl" and cfg.labels == ["a", "b"] and cfg.features.constructions is True
    assert cfg.data == DataConfig(dev="dev set.jsonl")


@pytest.mark.parametrize(
    "item, keys, value",
    [
        ("model.C=2", ["model", "C"], 2),
        ("model.C = 2.5", ["model", "C"], 2.5),
        ("data.train=x.jsonl", ["data", "train"], "x.jsonl"),
        ('data.train="a=b.jsonl"', ["data", "train"], "a=b.jsonl"),
        ("features.word_ngrams=[1,3]", ["features", "word_ngrams"], [1, 3]),
        ("features.sublinear_tf=false", ["features", "sublinear_tf"], False),
        ("data.train=path/with spaces.csv", ["data", "train"], "path/with spaces.csv"),
    ],
)
def test_parse_override(item: str, keys: list[str], value: object) -> None:
    assert parse_override(item) == (keys, value)


def test_apply_overrides() -> None:
    raw = {"model": {"C": 1.0}}
    assert apply_overrides(raw, ["model.kind=sgd", "seed=3"]) == {"model": {"C": 1.0, "kind": "sgd"}, "seed": 3}


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (["model.Cc=2"], "unknown config key 'model.Cc' (did you mean \"C\"?)"),
        (["modle.C=2"], "unknown config key 'modle' (did you mean \"model\"?)"),
        (["model.C=abc"], "config key 'model.C': expected float, got str 'abc'"),
        (["model.C=-1"], "config key 'model.C': must be positive"),
        (["features.word_ngrams=[1,'x']"], "config key 'features.word_ngrams[1]'"),
        (["model.C"], "override 'model.C': expected section.key=value"),
        (["seed.x=2"], "override 'seed.x=2': 'seed' is not a section"),
    ],
)
def test_bad_overrides_name_the_key(tmp_path: Path, overrides: list[str], fragment: str) -> None:
    assert fragment in error(toml(tmp_path, "seed = 1\n"), overrides)


# ---------------------------------------------------------------------------------------------
# The file itself


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    p = toml(tmp_path, "[model\nC = 1\n")
    message = error(p)
    assert message.startswith(f"{p}: invalid TOML:")
    assert "line 1" in message


def test_duplicate_key_is_invalid_toml(tmp_path: Path) -> None:
    p = toml(tmp_path, "seed = 1\nseed = 2\n")
    assert error(p).startswith(f"{p}: invalid TOML:")


def test_deeply_nested_toml_is_a_stance_error(tmp_path: Path) -> None:
    p = toml(tmp_path, "labels = " + "[" * 5000 + "\n")
    assert error(p).startswith(f"{p}: invalid TOML:")


def test_missing_config_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.toml"
    assert error(p) == f"{p}: file not found"


def test_binary_config_file(tmp_path: Path) -> None:
    p = tmp_path / "bin.toml"
    p.write_bytes(b"\x00\x01\x02")
    assert error(p) == f"{p}: binary file, not text"


def test_bom_and_crlf_config(tmp_path: Path) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbfseed = 4\r\n[model]\r\nC = 1\r\n")
    cfg = load_config(p)
    assert cfg.seed == 4 and cfg.model.C == 1.0


def test_config_is_frozen() -> None:
    import dataclasses

    cfg = Config()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.seed = 3  # type: ignore[misc]


# ---------------------------------------------------------------------------------------------
# Data paths: relative to the config file; on the command line, to the working directory


def test_data_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text("{}\n")
    (tmp_path / "configs").mkdir()
    cfg_path = toml(
        tmp_path / "configs",
        '[data]\ntrain = ["../data/a.jsonl", "../data/b.jsonl"]\ndev = "user/dataset:dev"\ntest = "/abs/test.jsonl"\n',
    )
    cfg = load_config(cfg_path)
    assert [Path(p).resolve() for p in cfg.data.train] == [tmp_path / "data" / "a.jsonl", tmp_path / "data" / "b.jsonl"]
    assert cfg.data.dev == "user/dataset:dev"  # a hub id stays a hub id
    assert cfg.data.test == "/abs/test.jsonl"
    # the same config named by a relative path gives the same files
    relative = Path(os.path.relpath(cfg_path))
    assert [Path(p).resolve() for p in load_config(relative).data.train] == [Path(p).resolve() for p in cfg.data.train]
    # a path given with --set is the user's, relative to where the command runs
    assert load_config(cfg_path, ["data.dev=here.jsonl"]).data.dev == "here.jsonl"


def test_missing_data_file_says_where_it_looked(tmp_path: Path) -> None:
    from stance.data import load_split

    cfg = load_config(toml(tmp_path, '[data]\ntrain = "nope.jsonl"\n'))
    with pytest.raises(StanceError, match=r"nope.jsonl: file not found \(named by config key 'data.train'\)") as info:
        load_split(cfg, "train")
    assert str(tmp_path / "nope.jsonl") in str(info.value)
    cfg = load_config(toml(tmp_path, ""), ["data.train=nowhere/nope.jsonl"])
    with pytest.raises(StanceError, match="looked for .*nowhere/nope.jsonl; named by config key 'data.train'"):
        load_split(cfg, "train")


def test_relative_data_paths_for_a_config_written_elsewhere(tmp_path: Path) -> None:
    cfg = load_config(ROOT / "configs" / "default.toml")
    out = tmp_path / "tuned"
    raw = relative_data_paths(cfg.to_dict(), out)
    assert (out / raw["data"]["dev"]).resolve() == ROOT / "seeds" / "real" / "dev.jsonl"
    out.mkdir()
    from stance.tune import to_toml

    (out / "best.toml").write_text(to_toml(raw))
    assert Path(load_config(out / "best.toml").data.dev).resolve() == ROOT / "seeds" / "real" / "dev.jsonl"
