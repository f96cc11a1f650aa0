"""stance.artifact: the model directory, integrity (sha256, interrupted writes, version drift), skops trust."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from stance import artifact, trust
from stance.artifact import INCOMPLETE, VersionWarning, load_model, read_manifest, verify_model
from stance.config import load_config
from stance.errors import StanceError
from stance.train import train
from tests.conftest import (
    LABELS,
    ROOT,
    SEED_ARTICLE,
    TINY,
    assert_one_line_error,
    cli,
    config,
    jsonl,
    model_state,
)


def test_tampered_and_incompatible_models(tiny_config: Path, tmp_path: Path) -> None:
    from stance.artifact import load_model, read_manifest
    from stance.errors import StanceError

    train(load_config(tiny_config), tmp_path / "m")
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    manifest["format_version"] = 99
    (tmp_path / "m" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StanceError, match="format 99 is not supported"):
        read_manifest(tmp_path / "m")
    (tmp_path / "m" / "manifest.json").write_text("{not json")
    with pytest.raises(StanceError, match="not valid JSON"):
        load_model(tmp_path / "m")


def test_version_drift_warns(tiny_config: Path, tmp_path: Path) -> None:
    from stance.artifact import VersionWarning, load_model

    train(load_config(tiny_config), tmp_path / "m")
    mf = tmp_path / "m" / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    mf.write_text(json.dumps(manifest))
    with pytest.warns(VersionWarning, match="trained with scikit-learn 0.0.1"):
        load_model(tmp_path / "m")


def test_skops_format(tiny_config: Path, tmp_path: Path) -> None:
    pytest.importorskip("skops")
    from stance.artifact import load_model

    train(load_config(tiny_config), tmp_path / "m", fmt="skops")
    assert (tmp_path / "m" / "model.skops").exists()
    model, manifest = load_model(tmp_path / "m")
    assert manifest["model_format"] == "skops" and model.predict_proba(["x"]).shape == (1, 3)


def test_bad_model_directories_are_one_line_errors(model_dir: Path, tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("They started this war.", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    cases: list[tuple[Path, tuple[str, ...]]] = [
        (tmp_path / "none", ("none: model directory not found",)),
        (tmp_path / "empty", ("empty: no manifest.json: not a stance model directory",)),
        (article, ("a.txt: not a model directory",)),
    ]
    for directory, fragments in cases:
        for args in (["verify", directory], ["score", directory, article], ["evaluate", directory, "--data", article]):
            assert_one_line_error(cli(*args), *fragments)
    mf = model_dir / "manifest.json"
    manifest = json.loads(mf.read_text())
    for damage, fragment in [
        ({"labels": "blame"}, "manifest 'labels' must be a list"),
        ({"thresholds": {"blame": 0.5}}, "manifest 'thresholds' must give a number for every label"),
        ({"model_file": "../../etc/passwd"}, "manifest names an unexpected model file"),
        ({"model_format": "joblib"}, "manifest says format 'joblib' for model.skops"),
    ]:
        mf.write_text(json.dumps({**manifest, **damage}))
        assert_one_line_error(cli("score", model_dir, article), "manifest.json: " + fragment)
    mf.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line_error(cli("verify", model_dir), "manifest.json: manifest is not valid JSON")


def _interrupt(*a: Any, **k: Any) -> Any:
    """Patched over one step of save_model, to cut it short there as Ctrl-C would."""
    raise KeyboardInterrupt


def test_interrupted_model_writes_are_never_mistaken_for_tampering(
    tiny_cfg: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(tiny_cfg)
    old = (model_dir / "model.skops").read_bytes()
    old_manifest = read_manifest(model_dir)

    # 1. interrupted while serialising: nothing on disk has changed
    import skops.io

    monkeypatch.setattr(skops.io, "dumps", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, model_dir, force=True)
    monkeypatch.undo()
    assert sorted(p.name for p in model_dir.iterdir()) == ["manifest.json", "model.skops"]
    assert model_state(model_dir) == "ok"

    # 2. interrupted while writing the model file: the old model and manifest are still consistent
    real_atomic = artifact.atomic_write

    class HalfWrite:
        def __init__(self, path: Any, mode: str = "w", **kw: Any) -> None:
            self.cm = real_atomic(path, mode, **kw)

        def __enter__(self) -> Any:
            fh = self.cm.__enter__()
            fh.write(b"\x80\x04half a pickle")
            fh.flush()
            return self

        def write(self, data: bytes) -> None:
            raise KeyboardInterrupt

        def __exit__(self, *exc: Any) -> Any:
            return self.cm.__exit__(*exc)

    monkeypatch.setattr(artifact, "atomic_write", HalfWrite)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, model_dir, force=True)
    monkeypatch.undo()
    assert (model_dir / "model.skops").read_bytes() == old
    assert (model_dir / INCOMPLETE).exists()
    assert model_state(model_dir) == "ok"
    assert cli("verify", model_dir).exit_code == 0
    assert not [p for p in model_dir.iterdir() if p.name.endswith(".tmp")]

    # 3. interrupted between the model file and the manifest: said so, not "modified"
    monkeypatch.setattr(artifact, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(load_config(tiny_cfg, ["model.C=0.5"]), model_dir, force=True)  # a different model
    monkeypatch.undo()
    assert (model_dir / "model.skops").read_bytes() != old and read_manifest(model_dir) == old_manifest
    for args in (["verify", model_dir], ["score", model_dir, SEED_ARTICLE]):
        line = assert_one_line_error(cli(*args), "the model was not completely written", "train again with --force")
        assert "sha256" not in line
    # without the marker the same state is what tampering looks like, and is called that
    (model_dir / INCOMPLETE).rename(tmp_path / "marker")
    assert "sha256 does not match manifest.json" in model_state(model_dir)
    (tmp_path / "marker").rename(model_dir / INCOMPLETE)

    # training again repairs the directory, and leaves nothing else behind
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", model_dir), "already holds a model")
    assert cli("train", "--config", tiny_cfg, "--out", model_dir, "--force").exit_code == 0
    assert sorted(p.name for p in model_dir.iterdir()) == ["manifest.json", "model.skops"]
    assert model_state(model_dir) == "ok"


def test_interrupted_first_write_and_format_switch(tiny_cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(tiny_cfg)
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(artifact, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, fresh)
    assert sorted(p.name for p in fresh.iterdir()) == [INCOMPLETE, "model.skops"]
    assert "the model was not completely written" in model_state(fresh)
    monkeypatch.undo()
    train(cfg, fresh)  # no manifest: nothing to protect, no --force needed
    assert model_state(fresh) == "ok" and not (fresh / INCOMPLETE).exists()

    monkeypatch.setattr(artifact, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, fresh, force=True, fmt="joblib")
    monkeypatch.undo()
    assert model_state(fresh) == "ok"  # the old skops model and its manifest are untouched
    assert read_manifest(fresh)["model_format"] == "skops"
    train(cfg, fresh, force=True, fmt="joblib")
    assert sorted(p.name for p in fresh.iterdir()) == ["manifest.json", "model.joblib"]


def test_tampered_model_is_refused_everywhere(model_dir: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path / "d.jsonl", TINY[:6])
    blob = bytearray((model_dir / "model.skops").read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # same size, one bit pattern changed
    (model_dir / "model.skops").write_bytes(bytes(blob))
    for args in (["verify", model_dir], ["score", model_dir, SEED_ARTICLE], ["evaluate", model_dir, "--data", data]):
        assert_one_line_error(cli(*args), "model.skops: sha256 does not match manifest.json", "refusing to load it")
    with pytest.raises(StanceError, match="sha256 does not match"):
        load_model(model_dir)
    (model_dir / "model.skops").unlink()
    assert_one_line_error(cli("verify", model_dir), "model.skops: model file is missing")


def test_version_drift_warns_in_every_command(model_dir: Path, tmp_path: Path) -> None:
    mf = model_dir / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    mf.write_text(json.dumps(manifest))
    data = jsonl(tmp_path / "d.jsonl", TINY[:6])
    for args in (["verify", model_dir], ["score", model_dir, SEED_ARTICLE], ["evaluate", model_dir, "--data", data, "--bootstrap", "0"]):
        r = cli(*args)
        assert r.exit_code == 0, r.output
        assert "warning: " in r.stderr and "trained with scikit-learn 0.0.1, installed is" in r.stderr, args
    with pytest.warns(VersionWarning):
        verify_model(model_dir)


def test_readme_warns_about_joblib() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "is a pickle, and loading it runs code" in readme and "--trust-model" in readme and "stance verify" in readme


class Evil:
    """Stands for any class skops has no reason to trust; constructing it must never happen."""

    constructed = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        Evil.constructed = True
        self.__dict__.update(state)


def _skops_dir(tmp_path: Path, obj: Any, name: str = "evil") -> Path:
    """A model directory whose skops file holds ``obj`` and whose manifest vouches for it."""
    import skops.io as sio

    d = tmp_path / name
    d.mkdir()
    (d / "model.skops").write_bytes(sio.dumps(obj))
    from stance.fileio import sha256_file

    manifest = {
        "format_version": artifact.FORMAT_VERSION,
        "labels": LABELS,
        "thresholds": dict.fromkeys(LABELS, 0.5),
        "model_file": "model.skops",
        "model_format": "skops",
        "model_sha256": sha256_file(d / "model.skops"),
        "versions": artifact.library_versions(),
    }
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


@pytest.mark.parametrize(
    "extra",
    [
        "",
        'char_ngrams = [2, 4]\n[model]\nkind = "linear_svm"\n',  # holds sklearn's private calibration classes
        '[model]\nkind = "sgd"\n',
        "stem_ngrams = [1, 2]\nmask_names = true\n",  # stance.features.StemAnalyzer and mask_text
    ],
    ids=["logreg", "svm", "sgd", "stems"],
)
def test_skops_end_to_end(tmp_path: Path, extra: str) -> None:
    pytest.importorskip("skops")
    data = jsonl(tmp_path / "train.jsonl", TINY)
    cfg = config(tmp_path, data, data, extra)
    for fmt in ("joblib", "skops"):
        r = cli("train", "--config", cfg, "--out", tmp_path / fmt, "--format", fmt)
        assert r.exit_code == 0, r.output
    assert sorted(os.listdir(tmp_path / "skops")) == ["manifest.json", "model.skops"]
    r = cli("verify", tmp_path / "skops")
    assert r.exit_code == 0 and "model.skops matches" in r.stdout
    outs = {}
    for fmt in ("joblib", "skops"):
        outs[fmt] = tmp_path / f"{fmt}.jsonl"
        trust = ["--trust-model"] if fmt == "joblib" else []
        r = cli("score", tmp_path / fmt, SEED_ARTICLE, "--out", outs[fmt], *trust)
        assert r.exit_code == 0, r.output
        r = cli("evaluate", tmp_path / fmt, "--data", data, "--out", tmp_path / f"{fmt}.json", "--bootstrap", "0", *trust)
        assert r.exit_code == 0, r.output
    assert outs["joblib"].read_bytes() == outs["skops"].read_bytes()
    reports = [json.loads((tmp_path / f"{fmt}.json").read_text()) for fmt in ("joblib", "skops")]
    assert reports[0]["predictions"] == reports[1]["predictions"]


def test_skops_refuses_untrusted_types(tmp_path: Path) -> None:
    pytest.importorskip("skops")
    d = _skops_dir(tmp_path, {"model": Evil()})
    for args in (["verify", d], ["score", d, SEED_ARTICLE]):
        assert_one_line_error(cli(*args), "model.skops: refusing to load untrusted types: tests.test_artifact.Evil")
    with pytest.raises(StanceError, match="untrusted types: tests.test_artifact.Evil"):
        load_model(d)
    assert Evil.constructed is False


def test_skops_refuses_functions_hidden_in_a_real_model(tiny_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("skops")
    from sklearn.utils import check_array

    model, _ = load_model(tiny_model)
    vec = model.features_.union_.transformer_list[0][1]
    for name, fn, expected in [("os", os.system, "system"), ("sk", check_array, "sklearn.utils")]:
        vec.preprocessor = fn  # called on every text at prediction time
        d = _skops_dir(tmp_path, model, name)
        line = assert_one_line_error(cli("score", d, SEED_ARTICLE), "refusing to load untrusted types:")
        assert expected in line


def test_skops_trust_rules() -> None:
    from stance.trust import _trusted_library_class

    for name in (
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "numpy.ndarray",
        "numpy.dtypes.Float64DType",
        "scipy.sparse._csr.csr_matrix",
    ):
        assert _trusted_library_class(name), name
    for name in (
        "sklearn.utils.check_array",
        "numpy.load",
        "os.system",
        "builtins.eval",
        "numpy.f2py.__main__.main",
        "sklearn.nonexistent.Thing",
        "sklearnx.Thing",
        "numpy",
        "tests.test_artifact.Evil",
        "numpy.ndarray.tofile",
    ):
        assert not _trusted_library_class(name), name
    for name in trust.STANCE_TYPES:  # every name on the list exists
        module, _, attr = name.rpartition(".")
        if module != "stance.embeddings":  # optional extra
            assert hasattr(__import__(module, fromlist=[attr]), attr), name


def test_skops_without_skops_installed_is_one_line(tiny_cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", tmp_path / "m", "--format", "skops"), "pip install 'stance[skops]'")
    assert not (tmp_path / "m").exists()


def test_manifest_thresholds_are_a_record_never_a_setting(model_dir: Path) -> None:
    """The model holds its thresholds; a manifest edited to say otherwise is refused, not obeyed."""
    model, manifest = load_model(model_dir)
    assert [manifest["thresholds"][lab] for lab in manifest["labels"]] == [round(float(t), 6) for t in model.thresholds_]
    mf = model_dir / "manifest.json"
    edited = {**manifest, "thresholds": {lab: 0.5 for lab in manifest["labels"]}}
    mf.write_text(json.dumps(edited))
    with pytest.raises(StanceError, match="manifest 'thresholds' differ from the model's own"):
        load_model(model_dir)


def test_models_of_an_older_format_must_be_trained_again(model_dir: Path) -> None:
    mf = model_dir / "manifest.json"
    mf.write_text(json.dumps({**json.loads(mf.read_text()), "format_version": 1}))
    with pytest.raises(StanceError, match="model format 1 is not supported .* train the model again"):
        read_manifest(model_dir)


class _Payload:
    """A pickle whose loading opens (creates) a file: what a crafted model.joblib could do instead."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (open, (self.path, "w"))


def _pickle_dir(tmp_path: Path, marker: Path) -> Path:
    """A model directory whose model.joblib is a crafted pickle and whose manifest vouches for it."""
    import joblib

    from stance.fileio import sha256_file

    d = tmp_path / "sent-to-you"
    d.mkdir()
    joblib.dump(_Payload(str(marker)), d / "model.joblib")
    manifest = {
        "format_version": artifact.FORMAT_VERSION,
        "labels": LABELS,
        "thresholds": dict.fromkeys(LABELS, 0.5),
        "model_file": "model.joblib",
        "model_format": "joblib",
        "model_sha256": sha256_file(d / "model.joblib"),
        "versions": artifact.library_versions(),
    }
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


def test_a_crafted_pickle_is_refused_and_never_runs_without_trust_model(tmp_path: Path) -> None:
    import stance

    marker = tmp_path / "payload-ran"
    d = _pickle_dir(tmp_path, marker)
    data = jsonl(tmp_path / "d.jsonl", TINY[:6])
    for args in (
        ["score", d, SEED_ARTICLE],
        ["evaluate", d, "--data", data],
        ["suggest", d, SEED_ARTICLE],
        ["calibrate", d, "--data", data],
    ):
        assert_one_line_error(cli(*args), "model.joblib", "loading it runs code", "--trust-model")
    with pytest.raises(StanceError, match="--trust-model"):
        load_model(d)
    with pytest.raises(StanceError, match="trust_model=True"):
        stance.load(d)
    assert not marker.exists()
    # the payload is real: with the flag it runs (and the command says that loading runs code)
    r = cli("score", d, SEED_ARTICLE, "--trust-model")
    assert marker.exists()
    assert "runs code" in r.stderr


def test_models_are_written_as_skops_by_default(tiny_cfg: Path, tmp_path: Path) -> None:
    r = cli("train", "--config", tiny_cfg, "--out", tmp_path / "cli")
    assert r.exit_code == 0, r.output
    train(load_config(tiny_cfg), tmp_path / "api")
    for d in (tmp_path / "cli", tmp_path / "api"):
        assert sorted(os.listdir(d)) == ["manifest.json", "model.skops"]
        assert read_manifest(d)["model_format"] == "skops"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    core = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert '"skops' in core  # a core dependency, not an extra


def test_a_joblib_model_loads_only_with_trust_model(tiny_cfg: Path, tmp_path: Path) -> None:
    d = tmp_path / "m"
    train(load_config(tiny_cfg), d, fmt="joblib")
    assert_one_line_error(cli("score", d, SEED_ARTICLE), "--trust-model")
    out = tmp_path / "s.jsonl"
    r = cli("score", d, SEED_ARTICLE, "--trust-model", "--out", out)
    assert r.exit_code == 0, r.output
    assert "loading it runs code" in r.stderr and out.read_text()
    r = cli("score", d, SEED_ARTICLE, "--trust-model", "--jobs", "2", "--out", tmp_path / "s2.jsonl")
    assert r.exit_code == 0, r.output  # the workers load it too
    assert load_model(d, trust_model=True)[1]["model_format"] == "joblib"


def test_the_default_model_file_is_compact(default_model: Path) -> None:
    """The n-gram vocabularies are saved as arrays: a skops file of dict entries was 310 MB and took a minute to load."""
    assert (default_model / "model.skops").stat().st_size < 40_000_000


def test_a_file_changed_after_it_was_verified_is_hashed_again(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each model file is hashed once per process while it is unchanged; a write in place (same
    size) after a verification is still caught, even with its modification time put back."""
    target = model_dir / "model.skops"
    verify_model(model_dir)
    calls: list[str] = []
    real = artifact.sha256_file
    monkeypatch.setattr(artifact, "sha256_file", lambda p: calls.append(Path(p).name) or real(p))
    verify_model(model_dir)
    assert calls == []  # unchanged: not hashed again
    before = target.stat()
    blob = bytearray(target.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    target.write_bytes(bytes(blob))
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    with pytest.raises(StanceError, match="the model file was modified or corrupted"):
        verify_model(model_dir)
    assert calls == ["model.skops"]
