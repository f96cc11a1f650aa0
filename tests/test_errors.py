"""stance.errors: one exception type for user errors, naming the file and line; "did you mean" hints."""

from __future__ import annotations

from stance.errors import StanceError, did_you_mean


def test_message_names_the_file_and_line() -> None:
    assert str(StanceError("malformed JSON", path="a.jsonl", line=3)) == "a.jsonl:3: malformed JSON"
    assert str(StanceError("file not found", path="a.jsonl")) == "a.jsonl: file not found"
    assert str(StanceError("no path")) == "no path"
    e = StanceError("x", path="p", line=2)
    assert (e.path, e.line) == ("p", 2)


def test_did_you_mean() -> None:
    assert did_you_mean("modle", ["model", "data"]) == ' (did you mean "model"?)'
    assert did_you_mean("zzz", ["model", "data"]) == ""
