"""File I/O that cannot be turned against the user: reads of regular files only, under a size cap (a FIFO never
blocks, ``/dev/zero`` is never read). The writers (never through a symbolic link, whole or not at all) live in
:mod:`triage_lens.sources.atomic`, which imports this module (never the other way).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class RefusedPathError(OSError):
    """A write or read refused for safety (a symlink, a FIFO, a device, too large); ``strerror`` says why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(errno.EPERM, f"refused: {path} {reason}")
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.strerror)


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; :class:`RefusedPathError` for a symlink, FIFO,
    device or a larger file (never blocks, never reads more than ``max_bytes + 1``)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise RefusedPathError(path, "is a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RefusedPathError(path, "is not a regular file")
        if info.st_size > max_bytes:
            raise RefusedPathError(path, f"is larger than {max_bytes:,} bytes")
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RefusedPathError(path, f"is larger than {max_bytes:,} bytes")
    return data


__all__ = ["RefusedPathError", "read_regular_file"]
