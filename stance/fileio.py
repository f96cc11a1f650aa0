"""Reading users' files safely and writing ours atomically.

Every file the product writes goes through :func:`atomic_write` (temp file beside the target, then
``os.replace``), so an interrupt leaves the old file or the new one, never a truncated one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import tempfile
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from stance.errors import StanceError

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


class DecodeWarning(UserWarning):
    """Raised (as a warning) when bytes had to be replaced while decoding a file."""


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside a UTF-16 BOM file mean this is not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in data[:8192]


def decode_text(data: bytes, path: str | Path = "<input>") -> str:
    """Decode bytes as UTF-8 / UTF-8-BOM / UTF-16-BOM, normalising CRLF; replace the rest with a warning."""
    body, encoding = data, "utf-8"
    for bom, enc in _BOMS:
        if data.startswith(bom):
            body, encoding = data[len(bom) :], enc
            break
    else:
        if looks_binary(data):
            raise StanceError("binary file, not text", path=path)
    text, _ = _decode(body, encoding, path)
    return _newlines(text)


def decode_lines(raw_lines: Iterable[bytes], path: str | Path = "<input>") -> Iterator[str]:
    """:func:`decode_text` for a stream of UTF-8 byte lines, one line at a time (a file of millions
    of lines is never held whole): the same rules, a BOM dropped, CRLF and CR normalised, undecodable
    bytes replaced with one warning naming the first bad line."""
    warned = False
    for number, raw in enumerate(raw_lines, start=1):
        if number == 1 and raw.startswith(_BOMS[0][0]):
            raw = raw[len(_BOMS[0][0]) :]
        text, bad = _decode(raw, "utf-8", path, line=number, warn=not warned)
        warned = warned or bad
        if "\r" in text:
            text = _newlines(text)
        yield from (text[:-1] if text.endswith("\n") else text).split("\n")


def _decode(body: bytes, encoding: str, path: str | Path, line: int = 1, warn: bool = True) -> tuple[str, bool]:
    """``body`` decoded, undecodable bytes replaced; a warning names the line of the first one."""
    try:
        return body.decode(encoding), False
    except UnicodeDecodeError as exc:
        if warn:
            at = line + body[: exc.start].decode(encoding, errors="replace").count("\n")
            warnings.warn(f"{path}:{at}: not valid {encoding.upper()}; undecodable bytes were replaced", DecodeWarning, stacklevel=3)
        return body.decode(encoding, errors="replace"), True


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | Path) -> str:
    """Read a user's text file with a one-line error for missing, unreadable or binary files."""
    p = Path(path)
    if not p.exists():
        raise StanceError("file not found", path=p)
    if p.is_dir():
        raise StanceError("is a directory, expected a file", path=p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise StanceError(f"cannot read: {exc.strerror}", path=p) from None
    return decode_text(data, p)


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sha256_path(path: str | Path) -> str:
    """Hash of a file, or of every file below a folder (names included, in sorted order)."""
    p = Path(path)
    if p.is_file():
        return sha256_file(p)
    h = hashlib.sha256()
    for f in sorted(q for q in p.rglob("*") if q.is_file()):
        h.update(str(f.relative_to(p)).encode())
        h.update(sha256_file(f).encode())
    return h.hexdigest()


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file beside ``path``; on success fsync and rename it over ``path``.

    On an exception or Ctrl-C (``KeyboardInterrupt``) the temp file is removed and ``path`` is left
    as it was. A process killed outright (SIGKILL, power loss) cannot clean up: its temp file
    (``.NAME.PID.XXXX.tmp``) stays beside the target, never under the target's name, and the next
    write to the same target removes it once that process is gone.
    """
    target = Path(path)
    if target.is_dir():
        raise StanceError("is a directory, expected a file to write", path=target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(target)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise StanceError(f"cannot write: {exc.strerror or exc}", path=target) from None
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None if binary else "") as fh:
            # mkstemp creates the file 0600; give it the old file's mode, or the umask default for a new one
            os.chmod(tmp, _mode_for(target))
            yield fh
            try:
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:  # a full disk shows here, when the buffer goes out
                raise StanceError(f"cannot write: {exc.strerror or exc}", path=target) from None
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise StanceError(f"cannot write: {exc.strerror or exc}", path=target) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def temp_files(target: str | Path) -> list[Path]:
    """Temp files that :func:`atomic_write` made (or left, when killed) for ``target``."""
    target = Path(target)
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[^.]+\.tmp$")
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return [target.parent / n for n in sorted(names) if pattern.match(n)]


def remove_stale_temps(target: str | Path) -> list[Path]:
    """Delete temp files for ``target`` left by processes that no longer run (POSIX only: elsewhere
    whether a process id is alive cannot be asked safely, so nothing is removed)."""
    if os.name != "posix":
        return []
    removed = []
    for tmp in temp_files(target):
        pid = int(tmp.name[len(Path(target).name) + 2 :].split(".", 1)[0])
        if pid != os.getpid() and not _pid_alive(pid):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, owned by someone else
        return True
    return True


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text(path: str | Path, text: str) -> None:
    with atomic_write(path) as fh:
        fh.write(text)


def write_json(path: str | Path, obj: object) -> None:
    import json

    write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default) + "\n")


def write_jsonl(path: str | Path, rows: Iterable[object]) -> None:
    """One JSON object a line, written atomically."""
    import json

    with atomic_write(path) as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(obj: object) -> object:
    import numpy as np

    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def parse_json_line(line: str, path: str | Path, number: int) -> Any:
    """One JSONL line, or a one-line error naming the file and line (too-long numbers and too-deep
    nesting included, which ``json`` reports as ValueError / RecursionError)."""
    import json

    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise StanceError(f"malformed JSON: {exc.msg} (column {exc.colno})", path=path, line=number) from None
    except (ValueError, RecursionError) as exc:
        raise StanceError(f"malformed JSON: {str(exc) or type(exc).__name__}", path=path, line=number) from None


# One encoder for every line: json.dumps(..., ensure_ascii=False) builds a new encoder per call.
# check_circular only guards against self-referencing containers, which records never are.
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def _c_encoder() -> Any:
    """The C encoder ``_JSON.encode`` builds afresh on every call, built once (half the time per
    record); None where this Python has none or it would write other text."""
    try:
        from json.encoder import c_make_encoder, encode_basestring

        make = c_make_encoder(None, _JSON.default, encode_basestring, None, ": ", ", ", False, False, True)
        probe = {"a": [1, 2.5, None, True, 'é"\n'], "b": {"c": float("nan"), "d": -0.0701}}
        return make if "".join(make(probe, 0)) == _JSON.encode(probe) else None
    except Exception:
        return None


_C_ENCODE = _c_encoder()


def json_text(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False)``, fast for dicts and lists."""
    if _C_ENCODE is not None and isinstance(obj, (dict, list)):
        return "".join(_C_ENCODE(obj, 0))
    return _JSON.encode(obj)


def json_line(obj: Any) -> str:
    """One object as a JSON line (the same text as ``json.dumps(obj, ensure_ascii=False)``), fast."""
    return json_text(obj) + "\n"


def jsonl_lines(records: Iterable[Any]) -> str:
    """Objects as JSON lines (the same text as ``json.dumps(r, ensure_ascii=False)`` each)."""
    encode = json_text
    return "".join([encode(r) + "\n" for r in records])
