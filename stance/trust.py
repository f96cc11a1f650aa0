"""Which types a skops model file may hold: skops's own trusted list, scikit-learn/NumPy/SciPy classes,
and stance's estimator parts, exactly; anything else is refused before loading (skops loads a type
only when told to trust it, so a tampered file cannot run code through an unexpected one)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from stance.errors import StanceError

# Types and functions a skops file may contain beyond what skops trusts by default and beyond
# scikit-learn/NumPy/SciPy classes (see _untrusted): stance's estimator parts, exactly.
STANCE_TYPES = [
    "stance.model.StanceClassifier",
    "stance.features.TextFeatures",
    "stance.cues.ConstructionFeatures",
    "stance.features.StemAnalyzer",
    "stance.features.mask_text",
    "stance.features.plain_text",
    "stance.embeddings.EmbeddingFeatures",
    "stance.transformer.TransformerClassifier",  # state: numpy arrays, str, dicts and lists only
]
# Classes (not functions) from these packages are admitted in skops files: skops's own default
# list leaves out private scikit-learn classes such as sklearn.calibration._CalibratedClassifier,
# which a calibrated linear SVM holds.
TRUSTED_PACKAGES = ("sklearn", "numpy", "scipy")


def untrusted_types(target: Path) -> list[str]:
    """The types in a skops file that skops does not trust by default and that stance admits;
    anything else is refused with a one-line error. Raises ImportError without skops."""
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(file=target)
    except Exception as exc:
        raise StanceError(f"not a valid skops file: {type(exc).__name__}: {exc}".splitlines()[0], path=target) from None
    bad = [t for t in found if t not in STANCE_TYPES and not _trusted_library_class(t)]
    if bad:
        raise StanceError(
            f"refusing to load untrusted types: {', '.join(sorted(bad))} "
            "(a skops model may hold only scikit-learn, NumPy, SciPy and stance types)",
            path=target,
        )
    return found


def _trusted_library_class(name: str) -> bool:
    """Whether ``name`` is a class defined in scikit-learn, NumPy or SciPy (functions are not admitted,
    nor re-exports of other packages' classes, nor anything reached through a dunder module)."""
    parts = name.split(".")
    if parts[0] not in TRUSTED_PACKAGES or len(parts) < 2 or any(p.startswith("__") or not p.isidentifier() for p in parts):
        return False
    for cut in range(len(parts) - 1, 0, -1):  # the longest importable module prefix, then attributes
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        except Exception:
            return False
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return isinstance(obj, type) and str(getattr(obj, "__module__", "")).split(".")[0] in TRUSTED_PACKAGES
    return False


def load_skops(target: Path) -> Any:
    try:
        import skops.io as sio
    except ImportError:
        raise StanceError("this model is in skops format; install skops: pip install 'stance[skops]'", path=target) from None
    return sio.load(target, trusted=untrusted_types(target))
