"""Many strings as one UTF-8 buffer and the end offset of each: how vocabularies are stored (in skops
model files and in ``scorer.npz``), because a dict or list of hundreds of thousands of strings is slow
to write and to read back."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class PackedTerms:
    """Column terms as one UTF-8 buffer and offsets: decoded one at a time, for the evidence shown,
    instead of a list of hundreds of thousands of strings built at loading."""

    def __init__(self, data: np.ndarray, ends: np.ndarray) -> None:
        self._raw = np.asarray(data, dtype=np.uint8).tobytes()
        self._ends = np.asarray(ends, dtype=np.int64).tolist()
        self._buffer: np.ndarray | None = None  # the bytes as an array with a NUL appended, and more: made by take
        self._bounds = np.zeros(1, dtype=np.int64)
        self._has_nul = False

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, col: int) -> str:
        start = self._ends[col - 1] if col else 0
        return self._raw[start : self._ends[col]].decode("utf-8")

    def all(self) -> list[str]:
        return [self[c] for c in range(len(self))]

    def take(self, cols: list[int]) -> list[str]:
        """``[self[c] for c in cols]``, decoded at once: the terms' bytes gathered with NumPy, each
        followed by a NUL, decoded and split in one call each (evidence names a hundred thousand
        terms per MB of articles). A buffer that holds a NUL itself is read term by term."""
        if self._buffer is None:
            self._buffer = np.frombuffer(self._raw + b"\x00", dtype=np.uint8)  # the NUL: the last term's separator
            self._bounds = np.array([0, *self._ends], dtype=np.int64)  # each term's start, then its end one on
            self._has_nul = b"\x00" in self._raw
        if not cols or self._has_nul:
            raw, ends = self._raw, self._ends
            return [raw[(ends[c - 1] if c else 0) : ends[c]].decode("utf-8") for c in cols]
        c = np.asarray(cols, dtype=np.int64)
        starts = self._bounds[c]
        size = self._bounds[c + 1] - starts + 1  # the term and one byte more
        ends = np.cumsum(size)
        joined = self._buffer[np.repeat(starts - (ends - size), size) + np.arange(ends[-1])]
        joined[ends - 1] = 0
        return joined.tobytes().decode("utf-8").split("\x00")[:-1]


def pack_terms(terms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Strings as (UTF-8 bytes, end offset of each)."""
    encoded = [t.encode("utf-8") for t in terms]
    ends = np.cumsum([len(b) for b in encoded], dtype=np.int64) if encoded else np.zeros(0, dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), ends
