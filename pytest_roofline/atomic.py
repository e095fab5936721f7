"""Write files whole or not at all.

A report or baseline half-written when the process dies would be worse than none: a
reader would trust it. The text goes to a temporary file in the same folder (same file
system), is flushed to disk, then renamed over the target, which POSIX and Windows both
do atomically. The file gets the permissions a plain ``open()`` would give it (0666 less
the umask), not the owner-only mode of a temporary file: reports are meant to be shared.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; the folder must exist."""
    folder = path.parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
