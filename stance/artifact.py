"""The model directory: ``model.skops`` (or ``model.joblib``) plus ``manifest.json``.

The manifest records what a model needs and how it was made; loading verifies the model file's
sha256 against it first, and refuses a mismatch. A sha256 only catches accidents and truncation
(whoever can edit the model can edit the manifest), so the model file itself must be safe to load:
models are written as skops, whose loader admits only the types stance trusts. A joblib file is a
pickle, and loading a pickle runs whatever code it names; it is loaded only when the caller says it
trusts the model (``trust_model=True``, ``--trust-model``), and a warning says that loading runs code.

Writing is ordered so that an interrupted ``stance train --force`` never leaves a directory that
looks tampered with: the model is serialised in memory first, then an ``.incomplete`` marker is
written, then the model file, then the manifest (the commit point), and the marker is removed last.
Killed before the model file is renamed into place, the directory still holds the old model,
consistent and loadable; killed between the model file and the manifest, the marker is there and
loading says the write was interrupted (train again with ``--force``) instead of "modified".
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import io
import json
import os
import platform
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.arrays import SCORER_FILE, ArrayModel, export
from stance.errors import StanceError
from stance.fileio import atomic_write, sha256_file, write_json, write_text
from stance.trust import load_skops, untrusted_types
from stance.version import __version__

MANIFEST = "manifest.json"
INCOMPLETE = ".incomplete"
# 2: thresholds are learnt and held by the model itself (the manifest records them); features are
# a scikit-learn FeatureUnion. Models of format 1 must be trained again.
FORMAT_VERSION = 2
MODEL_FILES = {"joblib": "model.joblib", "skops": "model.skops"}
INTERRUPTED = "the model was not completely written (a `stance train` run was interrupted); train again with --force"


class VersionWarning(UserWarning):
    """The installed library differs from the one that trained the model."""


class TrustWarning(UserWarning):
    """A model was loaded in a format whose loading runs code, because the caller trusts it."""


UNTRUSTED_PICKLE = (
    "refusing to load a joblib model: it is a pickle, and loading it runs code. Load it only if you trust "
    "whoever made it (--trust-model; in Python stance.load(path, trust_model=True)), or train it again "
    "(models are written as skops, which is safe to load)"
)


def library_versions() -> dict[str, str]:
    import joblib
    import numpy
    import scipy
    import sklearn

    return {
        "stance": __version__,
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
    }


def save_model(
    model: Any, out: str | Path, manifest: dict[str, Any], force: bool = False, fmt: str = "skops", probe: Sequence[str] = ()
) -> dict[str, Any]:
    """Write model + manifest into ``out``; refuses a directory that holds a model unless ``force``.

    Where the model is a linear n-gram model that :mod:`stance.arrays` reproduces (checked on the
    texts of ``probe``), its scorer arrays are written too (``scorer.npz``, with their sha256 in the
    manifest): `stance score` then loads those, without scikit-learn. See the module docstring for the
    order of writes that keeps an interrupted write recognisable.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise StanceError("exists and is not a directory", path=out)
    if (out / MANIFEST).exists() and not force:
        raise StanceError("already holds a model; use --force to replace it", path=out)
    if fmt not in MODEL_FILES:
        raise StanceError(f"unknown model format '{fmt}' (use joblib or skops)")
    payload = serialise(model, fmt)  # before touching the directory: a failure here changes nothing
    digest = hashlib.sha256(payload).hexdigest()
    arrays = export(model, probe) if probe else None
    scorer = None
    if arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        scorer = buf.getvalue()
    out.mkdir(parents=True, exist_ok=True)
    target = out / MODEL_FILES[fmt]
    write_text(out / INCOMPLETE, f"stance train (pid {os.getpid()}) is writing {target.name}; {INTERRUPTED}\n")
    with atomic_write(target, "wb") as fh:
        fh.write(payload)
    if sha256_file(target) != digest:  # read back what the disk holds before the manifest vouches for it
        raise StanceError("the model file read back differs from what was written (disk error?)", path=target)
    extra: dict[str, str] = {}
    if scorer is not None:
        with atomic_write(out / SCORER_FILE, "wb") as fh:
            fh.write(scorer)
        extra = {"scorer_file": SCORER_FILE, "scorer_sha256": hashlib.sha256(scorer).hexdigest()}
        if sha256_file(out / SCORER_FILE) != extra["scorer_sha256"]:
            raise StanceError("the scorer file read back differs from what was written (disk error?)", path=out / SCORER_FILE)
    manifest = {
        "format_version": FORMAT_VERSION,
        **manifest,
        "model_file": target.name,
        "model_format": fmt,
        "model_sha256": digest,
        **extra,
        "versions": library_versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_json(out / MANIFEST, manifest)  # the commit point
    for name in [*MODEL_FILES.values(), SCORER_FILE]:  # a stale file of the other format, or scorer, must not linger
        if name != target.name and name != extra.get("scorer_file") and (out / name).exists():
            (out / name).unlink()
    (out / INCOMPLETE).unlink()
    return manifest


def serialise(model: Any, fmt: str) -> bytes:
    """The model file's bytes in ``fmt`` (skops or joblib, both compressed)."""
    if fmt == "skops":
        import zipfile

        try:
            import skops.io as sio
        except ImportError:
            raise StanceError("the skops format needs skops: pip install 'stance[skops]'") from None
        return sio.dumps(model, compression=zipfile.ZIP_DEFLATED)
    import joblib

    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue()


def read_manifest(model_dir: str | Path) -> dict[str, Any]:
    d = Path(model_dir)
    if not d.exists():
        raise StanceError("model directory not found", path=d)
    if not d.is_dir():
        raise StanceError("not a model directory (expected a folder with manifest.json)", path=d)
    path = d / MANIFEST
    if not path.exists():
        if (d / INCOMPLETE).exists():
            raise StanceError(INTERRUPTED, path=d)
        raise StanceError("no manifest.json: not a stance model directory", path=d)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StanceError(f"manifest is not valid JSON ({exc})", path=path) from None
    except OSError as exc:
        raise StanceError(f"cannot read: {exc.strerror}", path=path) from None
    if not isinstance(manifest, dict):
        raise StanceError("manifest is not a JSON object", path=path)
    for key in ("format_version", "labels", "thresholds", "model_file", "model_sha256"):
        if key not in manifest:
            raise StanceError(f"manifest lacks '{key}'", path=path)
    if manifest["format_version"] != FORMAT_VERSION:
        raise StanceError(
            f"model format {manifest['format_version']} is not supported by stance {__version__} (expects {FORMAT_VERSION})"
            + (
                "; train the model again"
                if isinstance(manifest["format_version"], int) and manifest["format_version"] < FORMAT_VERSION
                else ""
            ),
            path=path,
        )
    if manifest["model_file"] not in MODEL_FILES.values():
        raise StanceError(f"manifest names an unexpected model file {manifest['model_file']!r}", path=path)
    fmt = model_format(manifest)
    if manifest.get("model_format", fmt) != fmt:
        raise StanceError(f"manifest says format {manifest['model_format']!r} for {manifest['model_file']}", path=path)
    labels, thresholds = manifest["labels"], manifest["thresholds"]
    if not (isinstance(labels, list) and labels and all(isinstance(x, str) for x in labels)):
        raise StanceError("manifest 'labels' must be a list of label names", path=path)
    if not (isinstance(thresholds, dict) and all(isinstance(thresholds.get(x), (int, float)) for x in labels)):
        raise StanceError("manifest 'thresholds' must give a number for every label", path=path)
    return manifest


def update_manifest(model_dir: str | Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Replace or add manifest ``fields`` (never those that describe the model file), atomically,
    after checking the model file against the manifest; the model file is not touched, so its
    sha256 stays what the manifest says. Returns the new manifest."""
    fixed = {"format_version", "labels", "thresholds", "model_file", "model_format", "model_sha256", "scorer_file", "scorer_sha256"} & set(
        fields
    )
    if fixed:
        raise StanceError(f"the manifest's {', '.join(sorted(fixed))} describe the model file and cannot be changed")
    manifest = {**verify_model(model_dir), **fields}
    write_json(Path(model_dir) / MANIFEST, manifest)
    return manifest


def model_format(manifest: dict[str, Any]) -> str:
    """The format follows the file name, so that the loader cannot be switched by a manifest field."""
    return {v: k for k, v in MODEL_FILES.items()}[manifest["model_file"]]


def verify_model(model_dir: str | Path, arrays: bool = False) -> dict[str, Any]:
    """Check the model file (and the scorer arrays, where written) against the manifest's sha256, and
    for skops the types it holds, without loading it; warn when the installed scikit-learn differs
    from the one that trained it. ``arrays``: for scoring with the scorer arrays where the model has
    them (then scikit-learn plays no part: no type check, no version warning).

    Returns the manifest.
    """
    manifest, target = _verify_files(model_dir)
    if arrays and "scorer_file" in manifest:
        return manifest
    if model_format(manifest) == "skops":
        try:
            untrusted_types(target)
        except ImportError:  # reported by load_model, which needs skops; the hash is checked
            pass
    trained = manifest.get("versions", {}).get("scikit-learn")
    installed = library_versions()["scikit-learn"]
    if trained and trained != installed:
        warnings.warn(
            f"{target}: trained with scikit-learn {trained}, installed is {installed}; predictions may differ",
            VersionWarning,
            stacklevel=2,
        )
    return manifest


def _verify_files(model_dir: str | Path) -> tuple[dict[str, Any], Path]:
    """The manifest, after checking the model file and the scorer arrays against their sha256."""
    d = Path(model_dir)
    manifest = read_manifest(d)
    target = d / manifest["model_file"]
    interrupted = (d / INCOMPLETE).exists()
    if not target.exists():
        raise StanceError(INTERRUPTED if interrupted else "model file is missing", path=target)
    actual = _file_sha256(target)
    if actual != manifest["model_sha256"]:
        if interrupted:
            raise StanceError(INTERRUPTED, path=d)
        raise StanceError(
            "sha256 does not match manifest.json: the model file was modified or corrupted; refusing to load it",
            path=target,
        )
    if "scorer_file" in manifest:
        scorer = d / SCORER_FILE
        if manifest["scorer_file"] != SCORER_FILE:
            raise StanceError(f"manifest names an unexpected scorer file {manifest['scorer_file']!r}", path=d / MANIFEST)
        if not scorer.exists():
            raise StanceError(INTERRUPTED if interrupted else "scorer file is missing", path=scorer)
        if _file_sha256(scorer) != manifest.get("scorer_sha256"):
            if interrupted:
                raise StanceError(INTERRUPTED, path=d)
            raise StanceError(
                "sha256 does not match manifest.json: the scorer file was modified or corrupted; refusing to load it", path=scorer
            )
    return manifest, target


_HASHED: dict[tuple[str, int, int, int, int], str] = {}


def _file_sha256(path: Path) -> str:
    """A model file's sha256, hashed once per process while the file is unchanged (same inode, size,
    modification and change times: any write, and any utime that would hide it, sets the change time).
    Why: `stance score` verifies the model directory to report its warnings, then loads it, verifying
    again; hashing the model and its scorer arrays (~40 MB) twice was a tenth of its start-up."""
    st = path.stat()
    key = (str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    found = _HASHED.get(key)
    if found is None:
        found = _HASHED[key] = sha256_file(path)
    return found


def check_trust(model_dir: str | Path, manifest: dict[str, Any], trust_model: bool = False) -> None:
    """Refuse a joblib model unless the caller trusts it; when it does, warn that loading runs code."""
    if model_format(manifest) != "joblib":
        return
    target = Path(model_dir) / manifest["model_file"]
    if not trust_model:
        raise StanceError(UNTRUSTED_PICKLE, path=target)
    warnings.warn(
        f"{target}: a joblib model is a pickle, and loading it runs code; loading it because you trust it (--trust-model)",
        TrustWarning,
        stacklevel=3,
    )


def load_model(model_dir: str | Path, trust_model: bool = False, runtime: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Verify (sha256, skops types, version drift warning), then load. Returns (model, manifest).

    A joblib model is refused unless ``trust_model`` (see :func:`check_trust`). ``runtime`` (a
    transformer's only: jax, onnx, onnx-int8) replaces the one the model was trained with."""
    manifest = verify_model(model_dir)
    check_trust(model_dir, manifest, trust_model)
    target = Path(model_dir) / manifest["model_file"]
    if manifest.get("embedding"):
        from stance.embeddings import check_embedding_available

        check_embedding_available(manifest["embedding"], target)
    try:
        if model_format(manifest) == "skops":
            model = load_skops(target)
        else:
            import joblib

            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
                model = joblib.load(target)
    except StanceError:
        raise
    except Exception as exc:
        raise StanceError(f"cannot load model: {type(exc).__name__}: {exc}".splitlines()[0], path=target) from None
    if list(getattr(model, "labels_", [])) != list(manifest["labels"]):
        raise StanceError("model labels do not match manifest.json", path=target)
    # The thresholds belong to the model; the manifest only records them. A manifest edited by hand
    # would otherwise suggest thresholds the model does not use.
    recorded = manifest_thresholds(manifest)
    if any(abs(float(t) - r) > 1e-6 for t, r in zip(getattr(model, "thresholds_", []), recorded)):
        raise StanceError(
            "manifest 'thresholds' differ from the model's own (they are a record, not a setting; "
            "change thresholds in the config's [thresholds] and train again)",
            path=Path(model_dir) / MANIFEST,
        )
    if runtime is not None:
        set_runtime(model, runtime, target)
    return model, manifest


def set_runtime(model: Any, runtime: str, target: Path | None = None) -> None:
    """Score a loaded accurate-tier model with ``runtime`` (``--runtime``); other models have none."""
    from stance.bert_onnx import RUNTIMES

    if runtime not in RUNTIMES:
        raise StanceError(f"unknown runtime {runtime!r} (use {', '.join(RUNTIMES)})")
    if "runtime" not in model.get_params(deep=False):
        raise StanceError("--runtime applies to the accurate tier (model.kind = 'transformer') only", path=target)
    model.set_params(runtime=runtime)


def manifest_thresholds(manifest: dict[str, Any]) -> list[float]:
    """The thresholds a manifest records, in label order."""
    return [float(manifest["thresholds"][lab]) for lab in manifest["labels"]]


def load_model_cached(model_dir: str | Path, trust_model: bool = False, runtime: str | None = None, arrays: bool = False) -> Any:
    """The model of a directory, loaded once per process and per model file (a model retrained into
    the same folder has a new sha256 and is loaded afresh) and runtime; used by scoring. ``arrays``:
    the model's scorer arrays (:func:`load_scorer`) where it has them, else the model itself."""
    return _load_cached(str(model_dir), read_manifest(model_dir)["model_sha256"], trust_model, runtime, arrays)


@functools.lru_cache(maxsize=4)
def _load_cached(model_dir: str, sha256: str, trust_model: bool, runtime: str | None = None, arrays: bool = False) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if arrays and runtime is None:
            scorer = load_scorer(model_dir, trust_model)
            if scorer is not None:
                return scorer
        return load_model(model_dir, trust_model, runtime)[0]


def load_scorer(model_dir: str | Path, trust_model: bool = False) -> ArrayModel | None:
    """The model's scorer arrays as an :class:`~stance.arrays.ArrayModel` (None if it has none),
    after the same checks as :func:`load_model` but without importing scikit-learn: an ``.npz`` read
    with ``allow_pickle=False`` holds numbers and strings only, so no type check is needed."""
    if "scorer_file" not in read_manifest(model_dir):  # before hashing: the model file is then verified by load_model
        return None
    manifest, _target = _verify_files(model_dir)
    check_trust(model_dir, manifest, trust_model)
    path = Path(model_dir) / SCORER_FILE
    try:
        with np.load(path, allow_pickle=False) as z:
            model = ArrayModel(z)
    except Exception as exc:
        raise StanceError(f"cannot load the scorer arrays: {type(exc).__name__}: {exc}".splitlines()[0], path=path) from None
    if model.labels_ != list(manifest["labels"]):
        raise StanceError("scorer labels do not match manifest.json", path=path)
    if any(abs(float(t) - r) > 1e-6 for t, r in zip(model.thresholds_, manifest_thresholds(manifest))):
        raise StanceError("manifest 'thresholds' differ from the scorer's own", path=Path(model_dir) / MANIFEST)
    return model
