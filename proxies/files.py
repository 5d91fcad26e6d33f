"""Writing files so that none is ever half-written, and checking output folders before the work.

Every file the tool writes (``config.json``, ``training.json``, ``suite.json``, ``attribution.json``,
``report.html``, the PNG and GIF pictures, ``model.zip`` and its checkpoints) goes through
:func:`write_atomic`: the bytes go to a temporary file in the same folder, are flushed to the disk
(``fsync``), and the temporary file is then renamed over the target (``os.replace``, atomic on POSIX).
A reader sees the old file or the new one, never a part; a failure (disk full, no permission, a
signal) removes the temporary file and leaves the previous file as it was. A ``kill -9`` mid-write
can leave a hidden ``.<name>.<random>.tmp`` beside the target, never a partial target.

Write failures are :class:`~proxies.errors.OutputError`, whose message names the path and the fix.
:func:`check_writable` tries an output folder (``--out``) before any long work starts.

Examples
--------
>>> import tempfile, pathlib
>>> scratch = tempfile.TemporaryDirectory()
>>> folder = pathlib.Path(scratch.name)
>>> write_json_atomic(folder / "a.json", {"x": 1}).read_text()
'{\\n  "x": 1\\n}\\n'
>>> sorted(p.name for p in folder.iterdir())  # no temporary file left behind
['a.json']
>>> scratch.cleanup()
"""

from __future__ import annotations

import errno as errno_codes
import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from proxies.errors import OutputError

__all__ = ["write_atomic", "write_json_atomic", "save_model", "check_writable", "output_error", "model_zip_problem", "CHUNK"]

CHUNK = 1 << 20
"""Bytes handed to one ``os.write`` call [bytes]."""

_PSEUDO = (Path("/proc"), Path("/sys"), Path("/dev"))
"""Kernel file systems: no output belongs there (as root some of them even accept files)."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()
"""The process's umask, read once (reading it means setting it)."""


def _explain(code: int | None, option: str) -> str:
    """The cause and the fix of a write failure with ``errno`` ``code``."""
    where = f"another {option}" if option else "another location"
    return {
        errno_codes.ENOSPC: f"no space left on the device; free some space, or write to {where} on a disk with room",
        errno_codes.EDQUOT: f"the disk quota is used up; free some space, or write to {where}",
        errno_codes.EACCES: f"permission denied; pick a folder you can write to ({where}), or fix its permissions",
        errno_codes.EPERM: f"the operation is not permitted there; pick a folder you can write to ({where})",
        errno_codes.EROFS: f"the file system is read-only; write to {where} on a writable disk",
        errno_codes.ENOTDIR: f"a part of the path is a file, not a folder; pick {where}, or move that file away",
        errno_codes.EEXIST: f"a part of the path is a file, not a folder; pick {where}, or move that file away",
        errno_codes.EISDIR: f"it is a folder; pick {where} that names a file",
        errno_codes.ENAMETOOLONG: f"the name is too long; pick {where} with a shorter path",
    }.get(code or -1, "")


def output_error(exc: OSError, path: Path | str, option: str = "") -> OutputError:
    """An :class:`OutputError` for the failure ``exc`` of writing ``path``: the path, the cause and the fix."""
    explained = _explain(exc.errno, option)
    if not explained:
        where = f"another {option}" if option else "another location"
        explained = f"{exc.strerror or exc or type(exc).__name__}; pick {where}"
    return OutputError(f"Cannot write {path}: {explained}.", path=Path(path), errno=exc.errno)


def _write_chunk(fd: int, chunk: memoryview) -> int:
    """One ``os.write``; the seam tests use to slow the writer down or fill the disk."""
    return os.write(fd, chunk)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = _write_chunk(fd, view[:CHUNK])
        view = view[written:]


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: some file systems refuse to open folders)."""
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


def write_atomic(path: Path | str, data: bytes | str, *, option: str = "") -> Path:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically; returns the path.

    The folder is created if missing. ``option`` names the command-line option the path came from
    (``--out``), for the fix in the error message.

    Raises :class:`~proxies.errors.OutputError` (the previous file intact, no temporary file left)
    when the folder cannot be made or the file cannot be written.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise output_error(exc, folder, option) from None
    if path.is_dir():
        raise output_error(OSError(errno_codes.EISDIR, "it is a folder"), path, option)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise output_error(exc, path, option) from None
    try:
        try:
            _write_all(fd, payload)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the permissions open() would
        os.replace(tmp, path)
    except BaseException as exc:  # a signal (KeyboardInterrupt) must not leave the temporary file either
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise output_error(exc, path, option) from None
        raise
    _fsync_folder(folder)
    return path


def write_json_atomic(path: Path | str, data: Any, *, indent: int | None = 2, option: str = "") -> Path:
    """Write ``data`` as JSON atomically (:func:`write_atomic`); returns the path."""
    return write_atomic(path, json.dumps(data, indent=indent, default=str) + "\n", option=option)


def save_model(model: Any, path: Path | str) -> Path:
    """Save a stable-baselines3 model as a zip atomically: serialised in memory, then :func:`write_atomic`.

    A crash or signal during the save leaves the previous ``model.zip`` (or checkpoint) intact.
    """
    buffer = io.BytesIO()
    model.save(buffer)
    return write_atomic(path, buffer.getvalue())


def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor or ".")


def check_writable(folder: Path | str, option: str = "--out") -> Path:
    """Create ``folder`` if needed and prove a file can be made and removed there; returns the folder.

    Call it before the work a command's output waits for, so that a bad ``--out`` fails at once.
    Raises :class:`~proxies.errors.OutputError` naming the problem and the fix for an existing file,
    a path under a file, a kernel file system (/proc, /sys, /dev), a read-only or full disk, or a
    folder without write permission.
    """
    folder = Path(folder)
    shown = f"{option} {folder}" if option else str(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"{shown} is an existing file, not a folder; give a folder (it is created if missing), or move the file away.",
            path=folder, errno=errno_codes.ENOTDIR,
        )
    base = _first_existing(folder.absolute())
    if not base.is_dir():
        raise OutputError(
            f"{shown}: {base} is a file, so no folder can be made under it; pick another {option or 'folder'}.",
            path=folder, errno=errno_codes.ENOTDIR,
        )
    resolved = folder.resolve()
    for pseudo in _PSEUDO:
        if resolved == pseudo or pseudo in resolved.parents:
            raise OutputError(
                f"{shown} is in {pseudo}, a kernel file system, not a disk; pick a folder on a disk, e.g. {option} runs/mine.",
                path=folder, errno=errno_codes.EROFS,
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test-", suffix=".tmp")
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise output_error(exc, folder, option) from None
    return folder


def model_zip_problem(path: Path) -> str | None:
    """Why ``path`` is not a whole stable-baselines3 model zip (truncated, damaged, not a model), or None if it is."""
    if not zipfile.is_zipfile(path):
        return "it is not a zip archive: truncated (an interrupted save?) or damaged"
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return f"the zip cannot be read ({exc})"
    if bad is not None:
        return f"its member {bad!r} is damaged (CRC mismatch)"
    if "data" not in names:
        return "it holds no stable-baselines3 model (no 'data' member)"
    return None
