"""Write files whole or not at all.

A report or baseline half-written when the process dies would be worse than none: a
reader would trust it. The text goes to a temporary file in the same folder (same file
system), is flushed to disk, then renamed over the target, which POSIX and Windows both
do atomically. The file gets the permissions a plain ``open()`` would give it (0666 less
the umask), not the owner-only mode of a temporary file: reports are meant to be shared.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import socket
import tempfile
import time
from pathlib import Path

STALE_SECONDS = 60.0
"""A temporary file of the same target older than this was left by a killed writer (a
write takes milliseconds) and is removed by the next write."""


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; the folder must exist.

    A failure is an ``OSError`` naming ``path`` (never the temporary file) and why.
    """
    folder = path.parent
    _remove_stale(path)
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.{_WRITER}.", suffix=".tmp", dir=folder
        )
    except OSError as error:
        raise _named(error, path) from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise _named(error, path) from None
        raise


def make_folder(path: Path) -> None:
    """Create the folder ``path`` goes in (as pytest does for ``--junit-xml``); an
    ``OSError`` that says which part of the path is a file rather than a folder."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            raise OSError(errno.ENOTDIR, f"{parent} is a file, not a folder", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _named(error, path) from None


def _named(error: OSError, path: Path) -> OSError:
    """``error`` told about ``path``: its reason, and the target's name, not a temporary's."""
    reason = error.strerror or str(error)
    if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST) and not path.parent.is_dir():
        files = [p for p in path.parents if p.exists() and not p.is_dir()]
        reason = f"{files[0]} is a file, not a folder" if files else f"no folder {path.parent}"
    return OSError(error.errno, reason, str(path))


_WRITER = f"{socket.gethostname().replace('.', '_')}-{os.getpid()}"
"""This process, as a temporary file's name holds it: the next write can tell a leftover
of a dead writer on this host from the file of a writer still at work."""


def _remove_stale(path: Path) -> None:
    """Remove what a writer of ``path`` killed mid-write left behind: a temporary file of
    a process of this host that no longer runs, or any one older than
    :data:`STALE_SECONDS` (a writer on another host sharing the folder)."""
    now = time.time()
    host = _WRITER.rpartition("-")[0]
    with contextlib.suppress(OSError):
        for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            writer = leftover.name[len(path.name) + 2 :].split(".")[0]
            writer_host, _, pid = writer.rpartition("-")
            with contextlib.suppress(OSError):
                dead = writer_host == host and pid.isdigit() and not _running(int(pid))
                if dead or now - leftover.stat().st_mtime > STALE_SECONDS:
                    leftover.unlink()


def _running(pid: int) -> bool:
    """True when process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, and belongs to someone else
        return True
    return True


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
