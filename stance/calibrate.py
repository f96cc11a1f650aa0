"""``stance calibrate``: measure a saved model's error rates on labelled data and store them in its
manifest, where ``stance score --group-by`` takes them to correct prevalence.

Training measures them on the dev split; a labelled sample of the corpus being scored is better
(the errors of the model on that text, not on the training style), and data the thresholds were not
tuned on is better still. The model file is not touched (its sha256 stays valid); only the manifest's
``error_rates`` is replaced, atomically.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from stance.artifact import load_model, update_manifest
from stance.evaluate import load_labelled
from stance.prevalence import measure_error_rates


def calibrate(
    model_dir: str, data: str, text_field: str | None = None, labels_field: str | None = None, trust_model: bool = False
) -> dict[str, Any]:
    """Re-measure the model's per-label error rates on ``data`` and write them into its manifest.

    Returns ``{"error_rates": summary, "previous": source of the rates replaced, or None}``. A joblib
    model loads only with ``trust_model``.
    """
    model, manifest = load_model(model_dir, trust_model)
    labelled = load_labelled(manifest, data, text_field, labels_field)
    source = {
        "path": str(data),
        "sha256": labelled.sha256,
        "measured": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "by": "stance calibrate",
    }
    rates = measure_error_rates(labelled.Y, model.predict_proba(labelled.texts), model.thresholds_, manifest["labels"], source=source)
    previous = (manifest.get("error_rates") or {}).get("source")
    update_manifest(model_dir, {"error_rates": rates.to_dict()})
    return {"error_rates": rates.summary(), "previous": previous}
