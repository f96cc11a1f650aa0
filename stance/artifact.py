"""The model directory: ``model.joblib`` (or ``model.skops``) plus ``manifest.json``.

The manifest records what a model needs and how it was made; loading verifies the model file's
sha256 against it before unpickling, and refuses a mismatch. A sha256 only catches accidents and
truncation (whoever can edit the model can edit the manifest); the skops format is the safe one for
models shared between people, because its loader admits only types it trusts.
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import warnings
from pathlib import Path
from typing import Any

from stance import __version__
from stance.errors import StanceError
from stance.fileio import atomic_write, sha256_file, write_json

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
MODEL_FILES = {"joblib": "model.joblib", "skops": "model.skops"}
# Types a skops file may contain beyond scikit-learn/numpy/scipy's own: stance's estimator parts.
STANCE_TYPES = [
    "stance.model.StanceClassifier",
    "stance.features.TextFeatures",
    "stance.features.ConstructionFeatures",
    "stance.embeddings.EmbeddingFeatures",
]


class VersionWarning(UserWarning):
    """The installed library differs from the one that trained the model."""


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


def save_model(model: Any, out: str | Path, manifest: dict[str, Any], force: bool = False, fmt: str = "joblib") -> dict[str, Any]:
    """Write model + manifest into ``out``; refuses a directory that holds a model unless ``force``."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise StanceError("exists and is not a directory", path=out)
    if (out / MANIFEST).exists() and not force:
        raise StanceError("already holds a model; use --force to replace it", path=out)
    if fmt not in MODEL_FILES:
        raise StanceError(f"unknown model format '{fmt}' (use joblib or skops)")
    out.mkdir(parents=True, exist_ok=True)
    target = out / MODEL_FILES[fmt]
    if fmt == "skops":
        try:
            import skops.io as sio
        except ImportError:
            raise StanceError("the skops format needs the optional extra: pip install 'stance[skops]'") from None
        with atomic_write(target, "wb") as fh:
            fh.write(sio.dumps(model))
    else:
        import joblib

        with atomic_write(target, "wb") as fh:
            joblib.dump(model, fh, compress=3)
    for name in MODEL_FILES.values():  # a stale file of the other format must not linger
        if name != target.name and (out / name).exists():
            (out / name).unlink()
    manifest = {
        "format_version": FORMAT_VERSION,
        **manifest,
        "model_file": target.name,
        "model_format": fmt,
        "model_sha256": sha256_file(target),
        "versions": library_versions(),
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    write_json(out / MANIFEST, manifest)
    return manifest


def read_manifest(model_dir: str | Path) -> dict[str, Any]:
    d = Path(model_dir)
    if not d.exists():
        raise StanceError("model directory not found", path=d)
    if not d.is_dir():
        raise StanceError("not a model directory (expected a folder with manifest.json)", path=d)
    path = d / MANIFEST
    if not path.exists():
        raise StanceError("no manifest.json: not a stance model directory", path=d)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StanceError(f"manifest is not valid JSON ({exc})", path=path) from None
    if not isinstance(manifest, dict):
        raise StanceError("manifest is not a JSON object", path=path)
    for key in ("format_version", "labels", "thresholds", "model_file", "model_sha256"):
        if key not in manifest:
            raise StanceError(f"manifest lacks '{key}'", path=path)
    if manifest["format_version"] != FORMAT_VERSION:
        raise StanceError(
            f"model format {manifest['format_version']} is not supported by stance {__version__} (expects {FORMAT_VERSION})",
            path=path,
        )
    if manifest["model_file"] not in MODEL_FILES.values():
        raise StanceError(f"manifest names an unexpected model file {manifest['model_file']!r}", path=path)
    return manifest


def verify_model(model_dir: str | Path) -> dict[str, Any]:
    """Check the model file against the manifest's sha256; returns the manifest."""
    manifest = read_manifest(model_dir)
    target = Path(model_dir) / manifest["model_file"]
    if not target.exists():
        raise StanceError("model file is missing", path=target)
    actual = sha256_file(target)
    if actual != manifest["model_sha256"]:
        raise StanceError(
            "sha256 does not match manifest.json: the model file was modified or corrupted; refusing to load it",
            path=target,
        )
    return manifest


def load_model(model_dir: str | Path) -> tuple[Any, dict[str, Any]]:
    """Verify, warn on library version drift, then load. Returns (model, manifest)."""
    manifest = verify_model(model_dir)
    target = Path(model_dir) / manifest["model_file"]
    trained = manifest.get("versions", {}).get("scikit-learn")
    installed = library_versions()["scikit-learn"]
    if trained and trained != installed:
        warnings.warn(
            f"{target}: trained with scikit-learn {trained}, installed is {installed}; predictions may differ",
            VersionWarning,
            stacklevel=2,
        )
    if manifest.get("embedding"):
        from stance.embeddings import check_embedding_available

        check_embedding_available(manifest["embedding"], target)
    try:
        if manifest.get("model_format") == "skops":
            model = _load_skops(target)
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
    model.thresholds_ = __import__("numpy").array([manifest["thresholds"][lab] for lab in manifest["labels"]], dtype=float)
    return model, manifest


def _load_skops(target: Path) -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise StanceError("this model is in skops format; install the optional extra: pip install 'stance[skops]'", path=target) from None
    untrusted = sio.get_untrusted_types(file=target)
    bad = [t for t in untrusted if t not in STANCE_TYPES]
    if bad:
        raise StanceError(f"refusing to load untrusted types: {', '.join(sorted(bad))}", path=target)
    return sio.load(target, trusted=untrusted)
