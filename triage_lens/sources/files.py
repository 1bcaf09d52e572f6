"""File I/O that cannot be turned against the user: writes that never go through a symbolic link, and reads
of regular files only, under a size cap (a FIFO never blocks, ``/dev/zero`` is never read).

Writers walk the target folder one component at a time with directory file descriptors and ``O_NOFOLLOW``,
so a symlink planted anywhere inside the export folder (a case folder, ``weekly/``, the manifest, an
``alert.json``) is refused with a message that says so, and nothing is written outside the folder.
The folder the user names is taken as given when it is a real folder; it is refused when it is itself a
symbolic link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


class RefusedPathError(OSError):
    """A write or read refused for safety (a symlink, a FIFO, a device, too large); ``strerror`` says why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(errno.EPERM, f"refused: {path} {reason}")
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return str(self.strerror)


def _kind(path: Path | str, dir_fd: int | None = None) -> str:
    """What stands at ``path`` (without following a link): "missing", "symlink", "dir", "file" or "other"."""
    try:
        mode = os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return "missing"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"


_WHY = {"symlink": "is a symbolic link", "other": "is not a regular file or folder", "file": "is not a folder"}


def _open_root(root: Path) -> int:
    """Create ``root`` (and its parents) and open it; refused when ``root`` is a symbolic link."""
    if _kind(root) == "symlink":
        raise RefusedPathError(root, "is a symbolic link")
    root.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(root, _DIR_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise RefusedPathError(root, _WHY.get(_kind(root), "is not a folder")) from None
        raise


def _open_subdir(parent_fd: int, name: str, shown: Path) -> int:
    """Create (if missing) and open ``name`` inside ``parent_fd`` without following a link."""
    kind = _kind(name, parent_fd)
    if kind == "missing":
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o755, dir_fd=parent_fd)
        kind = _kind(name, parent_fd)
    if kind != "dir":
        raise RefusedPathError(shown, _WHY.get(kind, "is not a folder"))
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise RefusedPathError(shown, "is a symbolic link") from None
        raise


def _write_at(dir_fd: int, name: str, data: bytes, shown: Path) -> None:
    kind = _kind(name, dir_fd)
    if kind not in ("missing", "file"):
        raise RefusedPathError(shown, _WHY.get(kind, "is not a regular file"))
    try:
        fd = os.open(name, _WRITE_FLAGS, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENXIO):
            raise RefusedPathError(shown, _WHY.get(_kind(name, dir_fd), "is not a regular file")) from None
        raise
    with os.fdopen(fd, "wb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise RefusedPathError(shown, "is not a regular file")
        handle.write(data)


def _parts(relative: str | PurePosixPath) -> list[str]:
    path = PurePosixPath(relative)
    if path.is_absolute() or any(p in ("..", "") for p in path.parts) or "\\" in str(relative):
        raise ValueError(f"unsafe path inside the export folder: {str(relative)!r}")
    return list(path.parts)


def write_tree(root: Path, files: Sequence[tuple[str, bytes]]) -> list[Path]:
    """Write each ``(relative path, bytes)`` under ``root``, creating folders, never through a symlink and
    never outside ``root``. Returns the paths written. Raises :class:`RefusedPathError` (an ``OSError``)."""
    for relative, _ in files:
        _parts(relative)  # every name is checked before anything is written
    root_fd = _open_root(root)
    written: list[Path] = []
    try:
        for relative, data in files:
            *folders, name = _parts(relative)
            fd = os.dup(root_fd)
            shown = root
            try:
                for folder in folders:
                    shown = shown / folder
                    next_fd = _open_subdir(fd, folder, shown)
                    os.close(fd)
                    fd = next_fd
                _write_at(fd, name, data, shown / name)
            finally:
                os.close(fd)
            written.append(root.joinpath(*folders, name))
    finally:
        os.close(root_fd)
    return written


def write_file(path: Path, data: bytes) -> None:
    """Write one file the user named (``--zip``, ``convert --out``): refused when ``path`` is a symlink,
    a FIFO or a device; its folder must exist."""
    parent = path.parent
    try:
        dir_fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except NotADirectoryError:
        raise RefusedPathError(parent, "is not a folder") from None
    try:
        _write_at(dir_fd, path.name, data, path)
    finally:
        os.close(dir_fd)


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


__all__ = ["RefusedPathError", "read_regular_file", "write_file", "write_tree"]
