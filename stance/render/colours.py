"""One colour per label, shared by every page and plot."""

from __future__ import annotations

LABEL_COLOURS = ["#e4572e", "#2e86ab", "#a23b72", "#f3a712", "#3bb273", "#7768ae", "#d1495b", "#00798c"]


def label_colours(labels: list[str]) -> dict[str, str]:
    return {lab: LABEL_COLOURS[i % len(LABEL_COLOURS)] for i, lab in enumerate(labels)}
