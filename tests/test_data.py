"""stance.data: loading labelled data in its many shapes, one-line errors, and splits."""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.config import DataConfig
from stance.data import (
    LabelledData,
    concat,
    indicator_to_lists,
    lists_to_indicator,
    load_data,
    save_jsonl,
)
from stance.errors import StanceError
from stance.fileio import DecodeWarning, sha256_path
from tests.conftest import TEXT_ROWS, encodings

LABELS = ["blame", "threat", "denial"]


@pytest.fixture(autouse=True)
def _private_hf_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the `datasets` cache that CSV/Parquet loading writes out of the user's home."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.getbasetemp() / "hf-cache")


def write_jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def error(source: str | Path, cfg: DataConfig | None = None, **kw: object) -> StanceError:
    with pytest.raises(StanceError) as info:
        load_data(source, LABELS, cfg, **kw)
    return info.value


# ---------------------------------------------------------------------------------------------
# Formats


def test_jsonl_list_labels(tmp_path: Path) -> None:
    p = tmp_path / "train.jsonl"
    p.write_text(
        '{"text": "They blamed us.", "labels": ["blame"], "source": "a", "id": 7}\n'
        "\n"
        '{"text": "We deny it and we will strike.", "labels": ["denial", "threat", "denial"]}\n'
        '{"text": "Nothing here.", "labels": []}\n',
        encoding="utf-8",
    )
    data = load_data(p, LABELS)
    assert data.texts == ["They blamed us.", "We deny it and we will strike.", "Nothing here."]
    assert data.Y.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert data.Y.dtype == np.uint8
    assert data.labels == LABELS
    assert data.lines == [1, 3, 4]  # the blank line is skipped but counted
    assert data.label_lists() == [["blame"], ["threat", "denial"], []]
    assert data.extra == {"source": ["a", None, None], "id": [7, None, None]}
    assert data.source == str(p)
    assert data.sha256 == sha256_path(p)
    assert len(data) == 3


def test_jsonl_with_bom_and_crlf(tmp_path: Path) -> None:
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"text": "A b.", "labels": ["blame"]}\r\n{"text": "C d.", "labels": []}\r\n')
    data = load_data(p, LABELS)
    assert data.texts == ["A b.", "C d."]
    assert data.lines == [1, 2]


def test_jsonl_labels_as_delimited_string(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "d.jsonl", [{"text": "A.", "labels": "blame; denial"}, {"text": "B.", "labels": ""}])
    assert load_data(p, LABELS).Y.tolist() == [[1, 0, 1], [0, 0, 0]]


def test_csv_delimited_labels(tmp_path: Path) -> None:
    p = tmp_path / "train.csv"
    p.write_text('text,labels\nThey blamed us.,blame;denial\nNothing here.,\n"Commas, inside",threat\n', encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.texts == ["They blamed us.", "Nothing here.", "Commas, inside"]
    assert data.Y.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert data.lines == [2, 3, 4]  # line 1 is the header
    assert data.sha256 == sha256_path(p)


def test_tsv(tmp_path: Path) -> None:
    p = tmp_path / "train.tsv"
    p.write_text("text\tlabels\nA, b.\tthreat\n", encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.texts == ["A, b."] and data.Y.tolist() == [[0, 1, 0]]


def test_wide_csv(tmp_path: Path) -> None:
    p = tmp_path / "wide.csv"
    p.write_text("text,blame,threat,denial\nA.,1,0,1\nB.,0,0,0\nC.,0,1,0\n", encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.Y.tolist() == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]


def test_wide_parquet(tmp_path: Path) -> None:
    import pandas as pd

    p = tmp_path / "wide.parquet"
    pd.DataFrame({"text": ["A.", "B."], "blame": [1, 0], "threat": [0, 1], "denial": [True, False], "other": [5, 6]}).to_parquet(p)
    data = load_data(p, LABELS)
    assert data.texts == ["A.", "B."]
    assert data.Y.tolist() == [[1, 0, 1], [0, 1, 0]]
    assert data.lines == [1, 2]


def test_list_parquet(tmp_path: Path) -> None:
    import pandas as pd

    p = tmp_path / "list.parquet"
    pd.DataFrame({"text": ["A.", "B."], "labels": [["blame"], []]}).to_parquet(p)
    assert load_data(p, LABELS).Y.tolist() == [[1, 0, 0], [0, 0, 0]]


def test_wide_bad_value_names_column_and_line(tmp_path: Path) -> None:
    p = tmp_path / "wide.csv"
    p.write_text("text,blame,threat,denial\nA.,1,0,1\nB.,2,0,0\n", encoding="utf-8")
    e = error(p)
    assert f"{p}:3:" in str(e) and "'blame'" in str(e)
    assert e.line == 3


def test_save_to_disk_folder(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "ds"
    datasets.Dataset.from_dict({"text": ["A.", "B."], "labels": [["blame"], ["threat", "denial"]]}).save_to_disk(str(folder))
    data = load_data(folder, LABELS)
    assert data.texts == ["A.", "B."]
    assert data.Y.tolist() == [[1, 0, 0], [0, 1, 1]]
    assert data.sha256 == sha256_path(folder)


def test_save_to_disk_dataset_dict_uses_train(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "dsd"
    datasets.DatasetDict(
        {
            "test": datasets.Dataset.from_dict({"text": ["T."], "labels": [["threat"]]}),
            "train": datasets.Dataset.from_dict({"text": ["A."], "labels": [["blame"]]}),
        }
    ).save_to_disk(str(folder))
    data = load_data(folder, LABELS)
    assert data.texts == ["A."]


def test_folder_that_is_not_a_dataset(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text("{}\n")
    e = error(tmp_path)
    assert str(tmp_path) in str(e) and "not a saved dataset" in str(e)


def test_custom_fields(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "c.jsonl", [{"sentence": "A.", "tags": "blame|threat"}, {"sentence": "B.", "tags": ["denial"]}])
    cfg = DataConfig(text_field="sentence", labels_field="tags", delimiter="|")
    data = load_data(p, LABELS, cfg)
    assert data.texts == ["A.", "B."]
    assert data.Y.tolist() == [[1, 1, 0], [0, 0, 1]]


def test_custom_fields_csv(tmp_path: Path) -> None:
    p = tmp_path / "c.csv"
    p.write_text("body,cats\nA.,denial/blame\n", encoding="utf-8")
    data = load_data(p, LABELS, DataConfig(text_field="body", labels_field="cats", delimiter="/"))
    assert data.Y.tolist() == [[1, 0, 1]]


def test_explicit_list_format_rejects_a_string(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "l.jsonl", [{"text": "A.", "labels": ["blame"]}])
    assert load_data(p, LABELS, DataConfig(label_format="list")).Y.tolist() == [[1, 0, 0]]
    # the "labels" column is present, so "list" is used; its string value is read as delimited
    p = write_jsonl(tmp_path / "s.jsonl", [{"text": "A.", "labels": "blame"}])
    assert load_data(p, LABELS, DataConfig(label_format="list")).Y.tolist() == [[1, 0, 0]]


def test_explicit_wide_format(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "w.jsonl", [{"text": "A.", "blame": 1, "threat": "0", "labels": ["denial"]}])
    data = load_data(p, LABELS, DataConfig(label_format="wide"))
    assert data.Y.tolist() == [[1, 0, 0]]  # the missing 'denial' column counts as 0


def test_unlabelled_when_labels_not_required(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "u.jsonl", [{"text": "A."}, {"text": "B."}])
    data = load_data(p, LABELS, require_labels=False)
    assert data.Y.shape == (2, 3) and not data.Y.any()
    e = error(p)
    assert "no labels column 'labels'" in str(e) and str(p) in str(e)


def test_missing_labels_field_on_a_later_row(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "m.jsonl", [{"text": "A.", "labels": []}, {"text": "B."}])
    e = error(p)
    assert f"{p}:2:" in str(e) and "missing labels field 'labels'" in str(e)


# ---------------------------------------------------------------------------------------------
# Errors


def test_missing_file(tmp_path: Path) -> None:
    for name in ("nope.jsonl", "nope.csv", "nope.parquet"):
        e = error(tmp_path / name)
        assert str(e) == f"{tmp_path / name}: file not found"
        assert e.path == str(tmp_path / name)


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "empty.parquet"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(b"")
    e = error(p)
    assert str(p) in str(e) and "empty" in str(e)


def test_blank_lines_only_jsonl(tmp_path: Path) -> None:
    p = tmp_path / "blank.jsonl"
    p.write_text("\n  \n\n", encoding="utf-8")
    assert "no records" in str(error(p))


def test_header_only_csv(tmp_path: Path) -> None:
    p = tmp_path / "h.csv"
    p.write_text("text,labels\n", encoding="utf-8")
    assert str(p) in str(error(p))


@pytest.mark.parametrize("name", ["bin.jsonl", "bin.csv", "bin.tsv"])
def test_binary_file(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    p.write_bytes(b"PK\x03\x04\x00\x00\x08\x00binary")
    e = error(p)
    assert str(e) == f"{p}: binary file, not text"


def test_corrupt_parquet(tmp_path: Path) -> None:
    p = tmp_path / "bad.parquet"
    p.write_bytes(b"this is not parquet")
    e = error(p)
    assert str(e).startswith(f"{p}: cannot load data:")
    assert "\n" not in str(e)


def test_unsupported_suffix(tmp_path: Path) -> None:
    p = tmp_path / "data.txt"
    p.write_text("hello\n")
    assert "unsupported data format '.txt'" in str(error(p))


def test_malformed_jsonl_line(tmp_path: Path) -> None:
    p = tmp_path / "m.jsonl"
    p.write_text('{"text": "A.", "labels": []}\n\n{"text": "B.", "labels": [}\n', encoding="utf-8")
    e = error(p)
    assert str(e).startswith(f"{p}:3: malformed JSON")
    assert (e.path, e.line) == (str(p), 3)


@pytest.mark.parametrize(
    "line, fragment",
    [
        ("[1, 2]", "expected a JSON object, got list"),
        ('"text"', "expected a JSON object, got str"),
        ("[" * 100_000, "malformed JSON"),  # nesting beyond the recursion limit
        ('{"text": "A.", "n": ' + "1" * 5000 + "}", "malformed JSON"),  # beyond Python's int digit limit
        ('{"text": "A.", "labels": [] } trailing', "malformed JSON"),
    ],
)
def test_bad_jsonl_lines(tmp_path: Path, line: str, fragment: str) -> None:
    p = tmp_path / "bad.jsonl"
    p.write_text('{"text": "A.", "labels": []}\n' + line + "\n", encoding="utf-8")
    e = error(p)
    assert str(e).startswith(f"{p}:2: ") and fragment in str(e)


def test_unknown_label_with_hint(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "u.jsonl", [{"text": "A.", "labels": ["blame"]}, {"text": "B.", "labels": ["blmae"]}])
    e = error(p)
    assert str(e).startswith(f"{p}:2: unknown label 'blmae'")
    assert 'did you mean "blame"?' in str(e)
    assert e.line == 2


def test_unknown_label_in_csv(tmp_path: Path) -> None:
    p = tmp_path / "u.csv"
    p.write_text("text,labels\nA.,blame\nB.,threat;denail\n", encoding="utf-8")
    e = error(p)
    assert str(e).startswith(f"{p}:3: unknown label 'denail'")
    assert 'did you mean "denial"?' in str(e)


def test_unknown_label_without_close_match(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "u.jsonl", [{"text": "A.", "labels": ["sarcasm"]}])
    e = error(p)
    assert "unknown label 'sarcasm'" in str(e) and "did you mean" not in str(e)


@pytest.mark.parametrize(
    "labels, fragment",
    [
        (5, "must be a list or a delimited string, got int"),
        ({"blame": 1}, "must be a list or a delimited string, got dict"),
        ([1], "label 1 is not a string"),
        ([["blame"]], "is not a string"),
    ],
)
def test_bad_label_values(tmp_path: Path, labels: object, fragment: str) -> None:
    p = write_jsonl(tmp_path / "b.jsonl", [{"text": "A.", "labels": labels}])
    e = error(p)
    assert str(e).startswith(f"{p}:1: ") and fragment in str(e)


def test_missing_text_column_jsonl(tmp_path: Path) -> None:
    p = write_jsonl(tmp_path / "t.jsonl", [{"txt": "A.", "labels": []}])
    e = error(p)
    assert str(e).startswith(f"{p}:1: no text column 'text' (did you mean \"txt\"?); the file's columns are txt, labels")


def test_missing_text_column_csv(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("sentence,labels\nA.,blame\n", encoding="utf-8")
    e = error(p)
    assert str(e).startswith(f"{p}: no text column 'text'; the file's columns are sentence, labels")


@pytest.mark.parametrize("value", [5, None, "", "   ", ["A."], {"a": 1}, True])
def test_non_string_or_empty_text(tmp_path: Path, value: object) -> None:
    p = write_jsonl(tmp_path / "n.jsonl", [{"text": "A.", "labels": []}, {"text": value, "labels": []}])
    e = error(p)
    assert str(e) == f"{p}:2: 'text' must be a non-empty string"


def test_errors_are_one_line(tmp_path: Path) -> None:
    p = tmp_path / "m.jsonl"
    p.write_text('{"text": "A.", "labels": ["blmae"]}\n', encoding="utf-8")
    assert "\n" not in str(error(p))


# ---------------------------------------------------------------------------------------------
# Helpers and splits


def test_indicator_round_trip() -> None:
    rows = [["blame"], [], ["denial", "threat"]]
    Y = lists_to_indicator(rows, LABELS)
    assert Y.tolist() == [[1, 0, 0], [0, 0, 0], [0, 1, 1]]
    assert indicator_to_lists(Y, LABELS) == [["blame"], [], ["threat", "denial"]]


def _data(n: int) -> LabelledData:
    rng = np.random.default_rng(0)
    Y = (rng.random((n, 3)) < 0.3).astype(np.uint8)
    return LabelledData(texts=[f"s{i}" for i in range(n)], Y=Y, labels=LABELS, lines=list(range(1, n + 1)), extra={"id": list(range(n))})


def test_subset_and_concat() -> None:
    data = _data(10)
    sub = data.subset([3, 1])
    assert sub.texts == ["s3", "s1"] and sub.lines == [4, 2] and sub.extra == {"id": [3, 1]}
    assert sub.Y.tolist() == data.Y[[3, 1]].tolist()
    both = concat([sub, data.subset([0])])
    assert both.texts == ["s3", "s1", "s0"] and both.Y.shape == (3, 3)


def test_save_jsonl_round_trip(tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"text": "A “quote”.", "labels": ["threat", "blame"], "source": "x"}, {"text": "B.", "labels": []}]
    )
    data = load_data(src, LABELS)
    out = tmp_path / "out" / "saved.jsonl"
    save_jsonl(data, out)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"text": "A “quote”.", "labels": ["blame", "threat"], "source": "x"}, {"text": "B.", "labels": []}]
    again = load_data(out, LABELS)
    assert again.texts == data.texts and again.Y.tolist() == data.Y.tolist()


# ---------------------------------------------------------------------------------------------
# Properties: whatever is in the file, only StanceError comes out

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10) | st.sampled_from(LABELS + ["blme", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["text", "labels", *LABELS, "x"]), inner, max_size=4),
    max_leaves=12,
)
_ROW = st.dictionaries(st.sampled_from(["text", "labels", *LABELS, "id", "source"]), _JSON, max_size=5)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


def _load_only_stance_errors(path: Path, cfg: DataConfig | None = None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DecodeWarning)
        try:
            data = load_data(path, LABELS, cfg)
        except StanceError as exc:
            assert str(exc).startswith(str(path))
            return
    assert len(data.texts) == data.Y.shape[0] > 0
    assert all(isinstance(t, str) and t.strip() for t in data.texts)


_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@_FAST
@given(st.lists(st.text(), max_size=5))
def test_arbitrary_text_lines_as_jsonl(scratch: Path, lines: list[str]) -> None:
    p = scratch / "text.jsonl"
    p.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    _load_only_stance_errors(p)


@_FAST
@given(st.lists(_ROW | _JSON, min_size=1, max_size=4), st.sampled_from(["auto", "list", "delimited", "wide"]))
def test_arbitrary_json_records(scratch: Path, rows: list[object], label_format: str) -> None:
    p = scratch / "records.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    _load_only_stance_errors(p, DataConfig(label_format=label_format))


@_FAST
@given(st.binary(max_size=200))
def test_arbitrary_bytes_as_jsonl(scratch: Path, data: bytes) -> None:
    p = scratch / "bytes.jsonl"
    p.write_bytes(data)
    _load_only_stance_errors(p)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.binary(max_size=120) | st.text(max_size=80).map(lambda s: ("text,labels\n" + s).encode("utf-8", "surrogatepass")))
def test_arbitrary_bytes_as_csv(scratch: Path, data: bytes) -> None:
    p = scratch / "bytes.csv"
    p.write_bytes(data)
    _load_only_stance_errors(p)


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv"])
def test_data_file_encodings_load_identically(tmp_path: Path, suffix: str) -> None:
    if suffix == ".jsonl":
        text = "".join(json.dumps({"text": t, "labels": labs}, ensure_ascii=False) + "\n" for t, labs in TEXT_ROWS)
    else:
        sep = "," if suffix == ".csv" else "\t"
        text = f"text{sep}labels\n" + "".join(f'"{t}"{sep}{";".join(labs)}\n' for t, labs in TEXT_ROWS)
    for name, data in encodings(text).items():
        p = tmp_path / f"{name}{suffix}"
        p.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loaded = load_data(p, LABELS)
        assert loaded.texts == [t for t, _ in TEXT_ROWS], name
        assert loaded.label_lists() == [["blame"], [], ["threat", "denial"]], name
        assert loaded.lines == ([1, 2, 3] if suffix == ".jsonl" else [2, 3, 4]), name


def test_undecodable_data_is_replaced_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes("text,labels\nA.,blame\nLe café est fermé.,\n".encode("latin-1"))
    with pytest.warns(DecodeWarning, match=rf"^{p}:3: not valid UTF-8"):
        data = load_data(p, LABELS)
    assert data.texts == ["A.", "Le caf\ufffd est ferm\ufffd."]


def test_csv_values_stay_strings(tmp_path: Path) -> None:
    """pandas would read these texts as 123, 7 and 1.5; a text column of numbers is still text."""
    p = tmp_path / "digits.csv"
    p.write_text('text,labels,id\n123,blame,007\n007,,8\n1.50,threat;denial,x\n"2,000",,\n', encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.texts == ["123", "007", "1.50", "2,000"]
    assert data.label_lists() == [["blame"], [], ["threat", "denial"], []]
    assert data.extra["id"] == ["007", "8", "x", ""]
    wide = tmp_path / "wide.csv"
    wide.write_text("text,blame,threat,denial\n1,TRUE,false,0\n2, 1 ,0.0,\n", encoding="utf-8")
    assert load_data(wide, LABELS).label_lists() == [["blame"], ["blame"]]


def test_csv_line_numbers_follow_the_file(tmp_path: Path) -> None:
    p = tmp_path / "multi.csv"
    p.write_text('\ntext,labels\n"A quote\nover\nthree lines.",blame\n\nB.,denial\nC.,blmae\n', encoding="utf-8")
    with pytest.raises(StanceError) as info:
        load_data(p, LABELS)
    assert (info.value.path, info.value.line) == (str(p), 8)
    p.write_text('\ntext,labels\n"A quote\nover\nthree lines.",blame\n\nB.,denial\n', encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.lines == [3, 7] and data.texts[0] == "A quote\nover\nthree lines."


def test_numeric_text_column_from_datasets_is_cast_to_string(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "ds"
    datasets.Dataset.from_dict({"text": [123, 7], "labels": [["blame"], []]}).save_to_disk(str(folder))
    assert load_data(folder, LABELS).texts == ["123", "7"]


# ---------------------------------------------------------------------------------------------
# A missing column is an error naming it and the columns the file has (never "0 examples")


@pytest.mark.parametrize("label_format", ["auto", "list", "delimited"])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_missing_labels_column_names_it_and_the_files_columns(tmp_path: Path, label_format: str, suffix: str) -> None:
    p = tmp_path / f"d{suffix}"
    if suffix == ".csv":
        p.write_text("text,labels\nThey blamed Kyiv.,blame\nNothing here.,\n", encoding="utf-8")
    else:
        write_jsonl(p, [{"text": "They blamed Kyiv.", "labels": ["blame"]}, {"text": "Nothing here.", "labels": []}])
    e = error(p, DataConfig(labels_field="tag", label_format=label_format))
    assert str(e).startswith(str(p)) and "labels column 'tag'" in str(e) and "the file's columns are text, labels" in str(e)


def test_a_missing_text_column_names_it_and_the_files_columns(tmp_path: Path) -> None:
    p = tmp_path / "d.csv"
    p.write_text("body,labels\nThey blamed Kyiv.,blame\n", encoding="utf-8")
    e = error(p)
    assert "text column 'text'" in str(e) and "the file's columns are body, labels" in str(e)


def test_wide_labels_need_at_least_one_label_column(tmp_path: Path) -> None:
    p = tmp_path / "w.csv"
    p.write_text("text,praise\nWell done.,1\n", encoding="utf-8")
    e = error(p, DataConfig(label_format="wide"))
    assert "no 0/1 column for any label (blame, threat, denial)" in str(e) and "the file's columns are text, praise" in str(e)
