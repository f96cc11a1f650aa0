"""stance.fileio: decoding users' files and writing ours atomically."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance.errors import StanceError
from stance.fileio import (
    DecodeWarning,
    atomic_write,
    decode_text,
    looks_binary,
    read_text,
    sha256_file,
    sha256_path,
    temp_files,
    write_json,
    write_text,
)
from tests.conftest import POSIX

TEXT = "Zelenskyy’s “peace” plan — ünïcödé 日本語\nsecond line\n"


def no_warnings(data: bytes) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return decode_text(data)


# ---------------------------------------------------------------------------------------------
# decode_text


def test_utf8() -> None:
    assert no_warnings(TEXT.encode("utf-8")) == TEXT


def test_utf8_bom_is_stripped() -> None:
    assert no_warnings(b"\xef\xbb\xbf" + TEXT.encode("utf-8")) == TEXT


@pytest.mark.parametrize("encoding, bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_with_bom(encoding: str, bom: bytes) -> None:
    data = bom + TEXT.encode(encoding)
    assert b"\x00" in data  # would look binary without the BOM
    assert no_warnings(data) == TEXT


def test_utf16_python_codec_output() -> None:
    assert no_warnings(TEXT.encode("utf-16")) == TEXT  # the platform's byte order, with a BOM


@pytest.mark.parametrize(
    "data, expected",
    [
        (b"a\r\nb\r\n", "a\nb\n"),
        (b"a\rb\r", "a\nb\n"),
        (b"a\r\n\r\nb", "a\n\nb"),
        (b"\xef\xbb\xbfa\r\nb", "a\nb"),
        (b"\xff\xfe" + "a\r\nb".encode("utf-16-le"), "a\nb"),
    ],
)
def test_line_endings_are_normalised(data: bytes, expected: str) -> None:
    assert no_warnings(data) == expected


def test_invalid_utf8_is_replaced_with_a_warning() -> None:
    data = b"line one\nline two \xff\xfe end\nline three \xc3\n"
    with pytest.warns(DecodeWarning, match=r"^f\.txt:2: not valid UTF-8"):
        text = decode_text(data, "f.txt")
    assert text.startswith("line one\nline two \ufffd")
    assert text.endswith("end\nline three \ufffd\n")


def test_invalid_bytes_after_a_bom_also_warn() -> None:
    with pytest.warns(DecodeWarning, match="UTF-8"):
        assert decode_text(b"\xef\xbb\xbfok\n\xff") == "ok\n\ufffd"
    with pytest.warns(DecodeWarning, match="UTF-16"):
        text = decode_text(b"\xff\xfe" + "ok".encode("utf-16-le") + b"\x00\xd8")  # a lone surrogate
    assert text.startswith("ok") and "\ufffd" in text


def test_binary_is_an_error() -> None:
    with pytest.raises(StanceError, match=r"^data\.bin: binary file, not text$"):
        decode_text(b"PK\x03\x04\x00\x00", "data.bin")
    assert looks_binary(b"abc\x00")
    assert not looks_binary(b"\xff\xfea\x00")
    assert not looks_binary(b"plain")


def test_empty_bytes() -> None:
    assert no_warnings(b"") == ""


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_decode_never_raises_anything_but_stance_error(data: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DecodeWarning)
        try:
            text = decode_text(data)
        except StanceError:
            assert b"\x00" in data
            return
    assert "\r" not in text


@settings(max_examples=200, deadline=None)
@given(st.text(), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_round_trip_of_valid_text(text: str, encoding: str) -> None:
    text = text.replace("\r", "")
    if encoding == "utf-8" and "\x00" in text:
        return  # NUL without a BOM means binary
    if encoding == "utf-8" and text.startswith("\ufeff"):
        return  # indistinguishable from a BOM
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:  # lone surrogates
        return
    assert no_warnings(data) == text


# ---------------------------------------------------------------------------------------------
# read_text


def test_read_text(tmp_path: Path) -> None:
    p = tmp_path / "a.txt"
    p.write_bytes(b"\xef\xbb\xbfhello\r\n")
    assert read_text(p) == "hello\n"


def test_read_text_errors(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="file not found") as info:
        read_text(tmp_path / "missing.txt")
    assert info.value.path == str(tmp_path / "missing.txt")
    with pytest.raises(StanceError, match="is a directory"):
        read_text(tmp_path)
    p = tmp_path / "bin.txt"
    p.write_bytes(b"\x00\x01")
    with pytest.raises(StanceError, match=f"^{p}: binary file"):
        read_text(p)


def test_read_text_warning_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.txt"
    p.write_bytes(b"ok\n\xffbad\n")
    with pytest.warns(DecodeWarning, match=f"{p}:2:"):
        assert read_text(p) == "ok\n\ufffdbad\n"


# ---------------------------------------------------------------------------------------------
# atomic_write


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_atomic_write_creates_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "dir" / "out.txt"
    with atomic_write(target) as fh:
        fh.write("first\n")
    assert target.read_text(encoding="utf-8") == "first\n"
    with atomic_write(target) as fh:
        fh.write(TEXT)
    assert target.read_text(encoding="utf-8") == TEXT
    assert leftovers(target.parent) == []
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_atomic_write_keeps_old_file_on_exception(tmp_path: Path) -> None:
    target = tmp_path / "model.json"
    target.write_text("old contents\n", encoding="utf-8")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), atomic_write(target) as fh:
        fh.write("half of the new")
        fh.flush()
        raise Boom
    assert target.read_text(encoding="utf-8") == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_atomic_write_keyboard_interrupt_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "new.txt"
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as fh:
        fh.write("partial")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_binary_and_newlines(tmp_path: Path) -> None:
    target = tmp_path / "b.bin"
    with atomic_write(target, "wb") as fh:
        fh.write(b"\x00\x01\r\n")
    assert target.read_bytes() == b"\x00\x01\r\n"
    with atomic_write(tmp_path / "t.txt") as fh:
        fh.write("a\nb\n")
    assert (tmp_path / "t.txt").read_bytes() == b"a\nb\n"  # no platform newline translation


def test_atomic_write_permissions(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    umask = os.umask(0o022)
    try:
        write_text(target, "new\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's 0600
        target.chmod(0o640)
        write_text(target, "again\n")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the old file's mode is kept
    finally:
        os.umask(umask)


def test_write_text_and_json(tmp_path: Path) -> None:
    import numpy as np

    write_json(tmp_path / "a.json", {"n": np.int64(3), "x": np.float32(0.5), "arr": np.arange(2), "p": Path("x/y"), "s": "é"})
    assert (tmp_path / "a.json").read_text(encoding="utf-8") == (
        '{\n  "n": 3,\n  "x": 0.5,\n  "arr": [\n    0,\n    1\n  ],\n  "p": "x/y",\n  "s": "é"\n}\n'
    )
    with pytest.raises(TypeError, match="not JSON serialisable: object"):
        write_json(tmp_path / "b.json", {"o": object()})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_sha256(tmp_path: Path) -> None:
    import hashlib

    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.txt").write_bytes(b"abc")
    assert sha256_file(tmp_path / "d" / "a.txt") == hashlib.sha256(b"abc").hexdigest()
    assert sha256_path(tmp_path / "d" / "a.txt") == sha256_file(tmp_path / "d" / "a.txt")
    before = sha256_path(tmp_path / "d")
    (tmp_path / "d" / "a.txt").rename(tmp_path / "d" / "b.txt")
    assert sha256_path(tmp_path / "d") != before  # names count


def test_interrupt_inside_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_json(target, {"old": True})
    old = target.read_bytes()
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as fh:
        fh.write('{"new": ')
        fh.flush()
        assert temp_files(target)  # the partial write lives only in the temp file
        raise KeyboardInterrupt
    assert target.read_bytes() == old
    assert temp_files(target) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_stale_temp_files_of_live_processes_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = tmp_path / f".out.txt.{child.pid}.abc123.tmp"
    alive = tmp_path / f".out.txt.{os.getppid()}.def456.tmp"
    other = tmp_path / f".other.txt.{child.pid}.abc123.tmp"
    for p in (dead, alive, other):
        p.write_text("partial")
    with atomic_write(target) as fh:
        fh.write("new")
    if POSIX:
        assert not dead.exists()
    assert alive.exists() and other.exists()  # someone else's write, or another target
    assert target.read_text() == "new"
