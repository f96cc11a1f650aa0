"""Typed configuration: a TOML file read and validated once, with errors that name the key.

Every other module receives a :class:`Config`; none of them reads TOML. Command-line overrides use
dotted keys (``--set model.C=2``) whose values are parsed as TOML.
"""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from stance.errors import StanceError, did_you_mean
from stance.fileio import read_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


# A Hugging Face hub id with an optional split: "user/dataset" or "user/dataset:train".
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+(:[\w.-]+)?$")
DATA_SPLITS = ("train", "dev", "test")
# [data] keys that name files: the splits, and a teacher's soft labels for distillation.
DATA_PATHS = (*DATA_SPLITS, "soft")
# Files stance reads as local files whatever their path looks like.
LOCAL_SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet")


@dataclass(frozen=True)
class DataConfig:
    # A path or hub id, or a list of them whose records are joined (e.g. written + real text). In
    # a config file, paths are relative to the file's folder; given with --set, to the working directory.
    train: str | list[str] = "seeds/corpus/train.jsonl"
    dev: str | list[str] | None = None
    test: str | list[str] | None = None
    text_field: str = "text"
    labels_field: str = "labels"
    # "auto" recognises a list column, a delimited string column, or one 0/1 column per label.
    label_format: Literal["auto", "list", "delimited", "wide"] = "auto"
    delimiter: str = ";"
    # Distillation: sentences with a teacher's probabilities (`stance distill`), learnt beside the
    # gold labels as soft targets by the fast tier; each row's weight against a gold row's is soft_weight.
    soft: str | list[str] | None = None
    soft_field: str = "soft"
    soft_weight: float = 1.0


@dataclass(frozen=True)
class FeaturesConfig:
    kind: Literal["tfidf", "hashing", "embeddings", "tfidf+embeddings"] = "tfidf"
    word_ngrams: list[int] = field(default_factory=lambda: [1, 2])
    char_ngrams: list[int] = field(default_factory=list)
    # n-grams over word stems (the first `stem_length` letters): morphology like char n-grams
    # ("accus" covers accuse/accused/accusation) at the cost of one pass over the words.
    stem_ngrams: list[int] = field(default_factory=list)
    stem_length: int = 5
    # Replace mid-sentence capitalised words (names of people, places, companies) and digits with
    # placeholders, so the model learns rhetoric rather than who happened to say it in the corpus.
    mask_names: bool = False
    # Words dropped before n-grams. "attribution" drops the verbs and nouns of attribution (said,
    # told, according to, spokesman, ...), which mark news style rather than any stance.
    stop_words: list[str] = field(default_factory=list)
    min_df: int = 1
    max_df: float = 1.0
    max_features: int | None = None
    sublinear_tf: bool = True
    n_features: int = 2**20
    # Rule-based construction cues (accusing/threatening/denying verbs with subject, conditionals
    # of inflicted harm, negated existence, quotation): carry across topics and outlets.
    constructions: bool = False
    constructions_weight: float = 1.0
    embedding_model: str | None = None
    embedding_batch_size: int = 64


@dataclass(frozen=True)
class ModelConfig:
    # "transformer": the accurate tier (stance.transformer, extra `accurate`): an encoder fine-tuned
    # end to end; [features] is not used, and the keys below from `encoder` on apply.
    kind: Literal["logreg", "linear_svm", "sgd", "transformer"] = "logreg"
    C: float = 4.0
    class_weight: Literal["balanced", "none"] = "balanced"
    max_iter: int = 2000
    alpha: float = 1e-5
    calibration_folds: int = 3
    # Score each clause of a compound sentence ("It's not an invasion; they provoked it") too and
    # keep, per label, the highest score, so a stance in one clause is not diluted by the other.
    clause_max: bool = False
    # The transformer's: encoder folder (config.json, tokenizer.json, model.safetensors; relative to
    # the config file; none: the packaged all-MiniLM-L6-v2), word pieces per sentence, AdamW epochs,
    # batch size, learning rates (encoder, head), weight decay, warmup share, dropout, a frozen
    # word-piece table, and the device ("auto": a GPU when JAX has one). `runtime` is what scores
    # (training is JAX's): "jax", "onnx" (the same network in ONNX Runtime, float32, no JAX needed)
    # or "onnx-int8" (dense layers in int8: several times faster on a CPU, decisions ~99% the same).
    encoder: str | None = None
    max_length: int = 64
    epochs: int = 2
    batch_size: int = 32
    lr: float = 5e-5
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: float = 0.1
    dropout: float = 0.1
    freeze_embeddings: bool = True
    device: Literal["auto", "cpu", "gpu"] = "auto"
    runtime: Literal["jax", "onnx", "onnx-int8"] = "jax"


@dataclass(frozen=True)
class ThresholdsConfig:
    # "dev": per-label threshold maximising F1 on the dev split (on out-of-fold predictions on train
    # when there is no dev split); "cv": always on out-of-fold predictions; "fixed": one value for all.
    strategy: Literal["dev", "cv", "fixed"] = "dev"
    fixed: float = 0.5
    # Share of sentences with no label that thresholds are tuned for. Dev splits hold far more
    # positives than real news does; unlabelled dev rows are re-weighted to this rate so that
    # thresholds hold on real articles. Set to 0 to tune on the dev split as it is.
    none_rate: float = 0.0
    min: float = 0.05
    max: float = 0.95


@dataclass(frozen=True)
class TuneConfig:
    # Search space over dotted keys, used by `stance tune`: a list of values ({"model.C" = [0.5, 1, 4]})
    # or a distribution ({"model.C" = {dist = "loguniform", low = 0.1, high = 10}}; dist is one of
    # uniform, loguniform, randint). With n_iter = 0 the lists are searched exhaustively (grid);
    # with n_iter > 0, n_iter candidates are sampled (random search, needed for distributions).
    grid: dict[str, Any] = field(default_factory=dict)
    n_iter: int = 0
    metric: Literal["macro_f1", "micro_f1"] = "macro_f1"
    folds: int = 3


@dataclass(frozen=True)
class Config:
    labels: list[str] = field(default_factory=lambda: ["blame", "threat", "denial"])
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    thresholds: ThresholdsConfig = field(default_factory=ThresholdsConfig)
    tune: TuneConfig = field(default_factory=TuneConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_SECTIONS = {f.name: f.type for f in dataclasses.fields(Config)}


def _check(value: Any, tp: Any, key: str) -> Any:
    """Validate ``value`` against a type hint, coercing int->float; raise naming ``key``."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        errors = []
        for arg in get_args(tp):
            if arg is type(None):
                if value is None:
                    return None
                continue
            try:
                return _check(value, arg, key)
            except StanceError as exc:
                errors.append(str(exc))
        raise StanceError(errors[0] if errors else f"config key '{key}': must not be empty")
    if origin is Literal:
        allowed = get_args(tp)
        if value not in allowed:
            raise StanceError(
                f"config key '{key}': {value!r} is not one of {', '.join(map(repr, allowed))}"
                + did_you_mean(str(value), [str(a) for a in allowed])
            )
        return value
    if origin is list:
        if not isinstance(value, list):
            raise StanceError(f"config key '{key}': expected a list, got {type(value).__name__}")
        (item,) = get_args(tp) or (Any,)
        return [_check(v, item, f"{key}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise StanceError(f"config key '{key}': expected a table, got {type(value).__name__}")
        _, vt = get_args(tp)
        return {k: _check(v, vt, f"{key}.{k}") for k, v in value.items()}
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool) or not isinstance(value, tp):
        raise StanceError(f"config key '{key}': expected {tp.__name__}, got {type(value).__name__} {value!r}")
    return value


def _build(cls: type, raw: dict[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if key not in hints:
            raise StanceError(f"unknown config key '{dotted}'" + did_you_mean(key, names))
        tp = hints[key]
        if dataclasses.is_dataclass(tp):
            if not isinstance(value, dict):
                raise StanceError(f"config key '{dotted}': expected a [{dotted}] table")
            kwargs[key] = _build(tp, value, f"{dotted}.")
        else:
            kwargs[key] = _check(value, tp, dotted)
    return cls(**kwargs)


def parse_override(item: str) -> tuple[list[str], Any]:
    """``'model.C=2'`` -> (["model", "C"], 2.0); the value is TOML, or a bare string if it is not."""
    if "=" not in item:
        raise StanceError(f"override '{item}': expected section.key=value")
    key, _, text = item.partition("=")
    key = key.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text.strip()
    return key.split("."), value


def apply_overrides(raw: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    for item in overrides:
        keys, value = parse_override(item)
        node = raw
        for k in keys[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise StanceError(f"override '{item}': '{k}' is not a section")
        node[keys[-1]] = value
    return raw


def config_from_dict(raw: dict[str, Any]) -> Config:
    cfg = _build(Config, raw, "")
    validate(cfg)
    return cfg


def validate(cfg: Config) -> None:
    """Checks across keys that types alone do not express."""
    if not cfg.labels:
        raise StanceError("config key 'labels': at least one label is needed")
    if len(set(cfg.labels)) != len(cfg.labels):
        raise StanceError("config key 'labels': labels must be unique")
    for name, rng in (
        ("features.word_ngrams", cfg.features.word_ngrams),
        ("features.char_ngrams", cfg.features.char_ngrams),
        ("features.stem_ngrams", cfg.features.stem_ngrams),
    ):
        if rng and (len(rng) != 2 or rng[0] < 1 or rng[1] < rng[0]):
            raise StanceError(f"config key '{name}': expected [min, max] with 1 <= min <= max, or []")
    if cfg.features.stem_length < 2:
        raise StanceError("config key 'features.stem_length': must be at least 2")
    f = cfg.features
    if not f.word_ngrams and not f.char_ngrams and not f.stem_ngrams and f.kind in ("tfidf", "hashing"):
        raise StanceError("config key 'features.word_ngrams': word or char n-grams must be enabled")
    if not 0 <= cfg.thresholds.none_rate < 1:
        raise StanceError("config key 'thresholds.none_rate': must be in [0, 1)")
    if not 0 < cfg.thresholds.fixed < 1:
        raise StanceError("config key 'thresholds.fixed': must be in (0, 1)")
    for key, spec in cfg.tune.grid.items():
        if not isinstance(spec, (list, dict)):
            raise StanceError(f"config key 'tune.grid.{key}': expected a list of values or a distribution table")
    if cfg.model.C <= 0:
        raise StanceError("config key 'model.C': must be positive")
    if cfg.data.soft and not cfg.data.soft_weight > 0:
        raise StanceError("config key 'data.soft_weight': must be positive")
    if cfg.data.soft and (cfg.model.kind == "transformer" or cfg.thresholds.strategy == "cv"):
        raise StanceError(
            "config key 'data.soft': soft labels are learnt by the fast tier with thresholds tuned on a dev split "
            '(thresholds.strategy = "dev" or "fixed", model.kind not "transformer")'
        )
    if cfg.model.kind == "transformer":
        _validate_transformer(cfg)
    elif cfg.model.runtime != "jax":
        raise StanceError(f"config key 'model.runtime': {cfg.model.runtime!r} applies to model.kind = \"transformer\" only")


def _validate_transformer(cfg: Config) -> None:
    m = cfg.model
    checks = (
        ("max_length", 8 <= m.max_length <= 512, "must be in [8, 512]"),
        ("epochs", m.epochs >= 1, "must be at least 1"),
        ("batch_size", m.batch_size >= 1, "must be at least 1"),
        ("lr", m.lr > 0, "must be positive"),
        ("head_lr", m.head_lr > 0, "must be positive"),
        ("weight_decay", m.weight_decay >= 0, "must not be negative"),
        ("warmup", 0 <= m.warmup < 1, "must be in [0, 1)"),
        ("dropout", 0 <= m.dropout < 1, "must be in [0, 1)"),
        ("encoder", m.encoder is None or bool(m.encoder.strip()), "must name a folder (or be left out for the packaged encoder)"),
    )
    for key, ok, why in checks:
        if not ok:
            raise StanceError(f"config key 'model.{key}': {why}, got {getattr(m, key)!r}")
    if cfg.thresholds.strategy == "cv":
        raise StanceError(
            'config key \'thresholds.strategy\': "cv" is not available with model.kind = "transformer" (one fine-tune per fold); use "dev" or "fixed"'
        )


def is_hub_id(source: str) -> bool:
    """Whether ``source`` can only be a hub id (a local file with a data suffix never is)."""
    return bool(HUB_ID.match(source)) and not source.lower().endswith(LOCAL_SUFFIXES)


def _resolve(entry: Any, base: Path) -> Any:
    """A config's data path, relative to the config's folder ``base``; absolute paths, empty strings
    and hub ids (that are not also files there) stay as they are."""
    if not isinstance(entry, str) or not entry or Path(entry).is_absolute():
        return entry
    local = os.path.normpath(base / entry)
    if is_hub_id(entry) and not Path(local).exists():
        return entry
    return local


def _resolve_folder(entry: str, base: Path) -> str:
    """A local folder named in a config, relative to the config's folder (``~`` expanded)."""
    entry = os.path.expanduser(entry)
    return entry if Path(entry).is_absolute() else os.path.normpath(base / entry)


def resolve_data_paths(raw: dict[str, Any], base: str | Path) -> dict[str, Any]:
    """``[data]`` train/dev/test of a raw config, relative to the config file's folder ``base``
    (so a config works from any working directory)."""
    data = raw.get("data")
    if isinstance(data, dict):
        for key in DATA_PATHS:
            value = data.get(key)
            data[key] = [_resolve(v, Path(base)) for v in value] if isinstance(value, list) else _resolve(value, Path(base))
    return raw


def relative_data_paths(raw: dict[str, Any], folder: str | Path) -> dict[str, Any]:
    """The inverse of :func:`resolve_data_paths` for a config to be written into ``folder``: local
    data paths rewritten relative to it (hub ids and absolute paths stay)."""

    def rel(entry: Any) -> Any:
        if not isinstance(entry, str) or not entry or Path(entry).is_absolute() or not Path(entry).exists():
            return entry
        return os.path.relpath(entry, folder)

    data = dict(raw.get("data") or {})
    for key in DATA_PATHS:
        value = data.get(key)
        data[key] = [rel(v) for v in value] if isinstance(value, list) else rel(value)
    return {**raw, "data": data}


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read, resolve and validate a TOML config. Data paths in the file are relative to the file;
    ``overrides`` (``--set data.train=x.jsonl``) are taken as given, relative to the working directory."""
    text = read_text(path)
    try:
        raw = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError) as exc:  # tomllib recurses on deeply nested arrays
        raise StanceError(f"invalid TOML: {exc}", path=path) from None
    raw = resolve_data_paths(raw, Path(path).parent)
    model = raw.get("model")
    if isinstance(model, dict) and isinstance(model.get("encoder"), str) and model["encoder"]:
        model["encoder"] = _resolve_folder(model["encoder"], Path(path).parent)
    raw = apply_overrides(raw, overrides or [])
    try:
        return config_from_dict(raw)
    except StanceError as exc:
        raise StanceError(str(exc), path=path) from None
