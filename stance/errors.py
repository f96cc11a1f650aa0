"""One exception type for everything a user can get wrong.

Library code raises :class:`StanceError` where a problem is found, with the file, line and key in its
message; the CLI catches it once, prints the single line and exits non-zero.
"""

from __future__ import annotations

from pathlib import Path


class StanceError(Exception):
    """A user error: bad file, bad line, bad config key, tampered model."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f":{line}"
            where += ": "
        super().__init__(where + message)
        self.path = None if path is None else str(path)
        self.line = line


def did_you_mean(word: str, options: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean "x"?)' hint, or '' when nothing is close."""
    import difflib

    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""
