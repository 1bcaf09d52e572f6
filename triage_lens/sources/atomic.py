"""Whole or nothing: the one module every file the product writes goes through (scenario trees and their
manifest, ZIPs, digests, samples, exports, reports, imports).

* A file is written to a temp file in the same folder, named ``.NAME.<pid>.<rand>.tmp`` (DEFINITIONS.md §5),
  flushed and fsynced, then renamed over ``NAME`` (and the folder fsynced). On any failure (a full disk, a
  refused path) the temp file is removed and the previous file is untouched: a good ZIP at the ``--zip`` path
  survives a failed export.
* A tree (:func:`write_tree`: ``misses export``, ``digest --out``) is staged completely before anything moves:
  a folder that does not exist yet is written under a temp name and renamed into place whole; a file inside a
  folder that exists gets its own temp file. Only when every staged byte is on disk are they renamed into place,
  and the top-level files (the manifest) come last. A failed write leaves the tree as it was.
* A folder the product fills itself (``sample --out``) is built beside its target with :func:`staged_folder`.
* Stale temp files and folders of earlier killed runs (their PID no longer running) are removed by the next run
  that writes in the same folder (:func:`remove_stale_temps`). A temp name whose PID belongs to a live process is
  left alone, this process's own included (another thread may be writing it).

Nothing is written through a symbolic link: folders are walked one component at a time with directory file
descriptors and ``O_NOFOLLOW``; a symlink, FIFO or device where a folder or file goes is refused with a
:class:`~triage_lens.sources.files.RefusedPathError` that says so, and nothing is written outside the root.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from triage_lens.sources.files import RefusedPathError

_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0)
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>[0-9]{1,10})\.(?P<rand>[0-9a-f]{8})\.tmp$")
_WHY = {"symlink": "is a symbolic link", "other": "is not a regular file or folder", "file": "is not a folder"}


def temp_name(name: str) -> str:
    """``.NAME.<pid>.<rand>.tmp``: hidden, in the target's folder, unique per process and call."""
    return f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"


def temp_owner(name: str) -> int | None:
    """The PID in a temp name written by :func:`temp_name`, None for any other name."""
    match = _TEMP.match(name)
    return int(match["pid"]) if match else None


def pid_running(pid: int) -> bool:
    """Whether a process with this PID exists (this process counts; a PID we may not signal exists)."""
    if pid == os.getpid():
        return True
    if pid <= 0:  # 0 and negative PIDs address process groups, never a writer
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, OSError):
        return False
    return True


def remove_stale_temps(folder: Path | None = None, *, dir_fd: int | None = None) -> list[str]:
    """Remove the temp files and folders of :func:`temp_name` in ``folder`` (or the open ``dir_fd``) whose
    writer no longer runs; returns the names removed. Best effort: what cannot be removed stays."""
    if dir_fd is None:
        if folder is None:
            raise ValueError("remove_stale_temps needs a folder or a dir_fd")
        try:
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return []
        try:
            return remove_stale_temps(dir_fd=fd)
        finally:
            os.close(fd)
    try:
        names = os.listdir(dir_fd)  # noqa: PTH208 (a directory file descriptor, not a path)
    except OSError:
        return []
    removed = []
    for name in names:
        pid = temp_owner(name)
        if pid is None or pid_running(pid):
            continue
        with contextlib.suppress(OSError):
            if _kind(name, dir_fd) == "dir":
                shutil.rmtree(name, dir_fd=dir_fd)
            else:
                os.unlink(name, dir_fd=dir_fd)
            removed.append(name)
    return removed


# --- walking folders without following links ---------------------------------------------------------


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


def _open_root(root: Path) -> tuple[int, bool]:
    """Create ``root`` (and its parents) and open it; refused when ``root`` is a symbolic link. Also says
    whether this call created it."""
    kind = _kind(root)
    if kind == "symlink":
        raise RefusedPathError(root, "is a symbolic link")
    root.mkdir(parents=True, exist_ok=True)
    try:
        return os.open(root, _DIR_FLAGS), kind == "missing"
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise RefusedPathError(root, _WHY.get(_kind(root), "is not a folder")) from None
        raise


def _open_subdir(parent_fd: int, name: str, shown: Path) -> int:
    """Create (if missing) and open ``name`` inside ``parent_fd`` without following a link."""
    kind = _kind(name, parent_fd)
    if kind == "missing":
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=parent_fd)
        kind = _kind(name, parent_fd)
    if kind != "dir":
        raise RefusedPathError(shown, _WHY.get(kind, "is not a folder"))
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise RefusedPathError(shown, "is a symbolic link") from None
        raise


def _parts(relative: str | PurePosixPath) -> list[str]:
    path = PurePosixPath(relative)
    if path.is_absolute() or any(p in ("..", "") for p in path.parts) or "\\" in str(relative):
        raise ValueError(f"unsafe path inside the export folder: {str(relative)!r}")
    return list(path.parts)


# --- files -------------------------------------------------------------------------------------------


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:  # never loop forever on a device that accepts nothing
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]
    os.fsync(fd)


def _new_file_at(dir_fd: int, name: str, data: bytes, mode: int | None = None) -> None:
    """Create ``name`` (which must not exist) in ``dir_fd``, write and fsync ``data``; removed on failure."""
    fd = os.open(name, _NEW_FILE_FLAGS, 0o666, dir_fd=dir_fd)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        _write_all(fd, data)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=dir_fd)
        raise
    os.close(fd)


def _existing_mode(dir_fd: int, name: str, shown: Path) -> int | None:
    """The permission bits of the regular file ``name`` (None when missing); refused for anything else."""
    kind = _kind(name, dir_fd)
    if kind == "missing":
        return None
    if kind != "file":
        raise RefusedPathError(shown, _WHY.get(kind, "is not a regular file"))
    return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode & 0o7777


def _stage_file_at(dir_fd: int, name: str, data: bytes, shown: Path) -> str:
    """Write ``data`` to a temp file beside ``name`` (same permissions as the file it will replace); returns
    the temp name."""
    mode = _existing_mode(dir_fd, name, shown)
    temp = temp_name(name)
    _new_file_at(dir_fd, temp, data, mode)
    return temp


def _commit_file_at(dir_fd: int, temp: str, name: str) -> None:
    try:
        # os.replace never follows a link at the destination: a symlink planted meanwhile is replaced, not used
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp, dir_fd=dir_fd)
        raise
    os.fsync(dir_fd)


def _write_at(dir_fd: int, name: str, data: bytes, shown: Path) -> None:
    _commit_file_at(dir_fd, _stage_file_at(dir_fd, name, data, shown), name)


def write_file(path: Path, data: bytes) -> None:
    """Write one file the user named (``--zip``, ``convert --out``, an import's ``incidents.jsonl``) whole or not
    at all: refused when ``path`` is a symlink, a FIFO or a device; its folder must exist. Stale temp files of
    killed runs in that folder are removed first."""
    parent = path.parent
    try:
        dir_fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except NotADirectoryError:
        raise RefusedPathError(parent, "is not a folder") from None
    try:
        remove_stale_temps(dir_fd=dir_fd)
        _write_at(dir_fd, path.name, data, path)
    finally:
        os.close(dir_fd)


# --- trees -------------------------------------------------------------------------------------------


def _write_new_tree(dir_fd: int, members: list[tuple[list[str], bytes]], shown: Path) -> None:
    """Plain writes inside a folder nobody else sees yet (a staged temp folder)."""
    for rest, data in members:
        *folders, name = rest
        fd = os.dup(dir_fd)
        try:
            where = shown
            for folder in folders:
                where = where / folder
                next_fd = _open_subdir(fd, folder, where)
                os.close(fd)
                fd = next_fd
            _new_file_at(fd, name, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    os.fsync(dir_fd)


class _Staged:
    """What a tree write has put on disk under temp names, committed (renamed into place) or discarded together."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[tuple[str, int, str, str]] = []  # (kind, dir fd we own, temp name, final name)

    def add(self, kind: str, dir_fd: int, temp: str, final: str) -> None:
        self.items.append((kind, os.dup(dir_fd), temp, final))

    def commit(self) -> None:
        while self.items:
            kind, fd, temp, final = self.items[0]
            if kind == "dir":
                _rename_folder(fd, temp, final, self.root)
            else:
                _commit_file_at(fd, temp, final)
            self.items.pop(0)
            os.close(fd)

    def discard(self) -> None:
        for kind, fd, temp, _ in self.items:
            with contextlib.suppress(OSError):
                if kind == "dir":
                    shutil.rmtree(temp, dir_fd=fd)
                else:
                    os.unlink(temp, dir_fd=fd)
            os.close(fd)
        self.items.clear()


def write_tree(root: Path, files: Sequence[tuple[str, bytes]]) -> list[Path]:
    """Write each ``(relative path, bytes)`` under ``root`` whole or not at all, creating folders, never through a
    symlink and never outside ``root``; top-level files (a manifest) are renamed into place last. Returns the paths
    written. Raises :class:`RefusedPathError` (an ``OSError``) or another ``OSError`` (nothing changed then)."""
    groups: dict[str, list[tuple[list[str], bytes]]] = {}
    top_files: list[tuple[str, bytes]] = []
    for relative, data in files:
        first, *rest = _parts(relative)  # every name is checked before anything is written
        if rest:
            groups.setdefault(first, []).append((rest, data))
        else:
            top_files.append((first, data))
    root_fd, created = _open_root(root)
    staged = _Staged(root)
    try:
        remove_stale_temps(dir_fd=root_fd)
        try:
            for top, members in groups.items():
                _stage_group(root_fd, root, top, members, staged)
            for name, data in top_files:
                staged.add("file", root_fd, _stage_file_at(root_fd, name, data, root / name), name)
            staged.commit()
        except BaseException:
            staged.discard()
            if created:
                with contextlib.suppress(OSError):
                    root.rmdir()  # only if still empty: nothing of ours stays
            raise
    finally:
        os.close(root_fd)
    return [root.joinpath(*_parts(relative)) for relative, _ in files]


def _stage_group(root_fd: int, root: Path, top: str, members: list[tuple[list[str], bytes]], staged: _Staged) -> None:
    """Stage the files under the top-level folder ``top``: the whole folder under a temp name when it is new,
    else one temp file per file inside it."""
    kind = _kind(top, root_fd)
    if kind == "missing":
        temp = temp_name(top)
        os.mkdir(temp, 0o777, dir_fd=root_fd)
        staged.add("dir", root_fd, temp, top)
        fd = os.open(temp, _DIR_FLAGS, dir_fd=root_fd)
        try:
            _write_new_tree(fd, members, root / top)
        finally:
            os.close(fd)
        return
    if kind != "dir":
        raise RefusedPathError(root / top, _WHY.get(kind, "is not a folder"))
    for rest, data in members:
        *folders, name = rest
        fd = _open_subdir(root_fd, top, root / top)
        try:
            shown = root / top
            for folder in folders:
                shown = shown / folder
                next_fd = _open_subdir(fd, folder, shown)
                os.close(fd)
                fd = next_fd
            remove_stale_temps(dir_fd=fd)
            staged.add("file", fd, _stage_file_at(fd, name, data, shown / name), name)
        finally:
            os.close(fd)


# --- a folder the product fills itself ---------------------------------------------------------------


@contextlib.contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield an empty temp folder beside ``out``; fill it. On success every file is fsynced and the folder lands
    at ``out``: renamed whole when ``out`` does not exist, else each file renamed over its namesake (files
    already in ``out`` that were not written stay). On failure the temp folder is removed and ``out`` is as it
    was. Refused when ``out`` is a symlink or not a folder."""
    kind = _kind(out)
    if kind == "symlink":
        raise RefusedPathError(out, "is a symbolic link")
    if kind not in ("missing", "dir"):
        raise RefusedPathError(out, "is not a folder")
    out.parent.mkdir(parents=True, exist_ok=True)
    parent_fd = os.open(out.parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        remove_stale_temps(dir_fd=parent_fd)
        temp = temp_name(out.name)
        os.mkdir(temp, 0o777, dir_fd=parent_fd)
        staging = out.parent / temp
        try:
            yield staging
            _fsync_tree(staging)
            if _kind(out.name, parent_fd) == "missing":
                _rename_folder(parent_fd, temp, out.name, out.parent)
            else:
                _merge_into(staging, out)
                shutil.rmtree(temp, dir_fd=parent_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                shutil.rmtree(temp, dir_fd=parent_fd)
            raise
    finally:
        os.close(parent_fd)


def _rename_folder(dir_fd: int, temp: str, final: str, parent: Path) -> None:
    """Rename the staged folder ``temp`` to ``final``; when another writer created ``final`` meanwhile (two
    exports at once), rename each staged file over its namesake inside it instead."""
    try:
        os.rename(temp, final, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        _merge_into(parent / temp, parent / final)
        shutil.rmtree(temp, dir_fd=dir_fd)
    os.fsync(dir_fd)


def _fsync_tree(folder: Path) -> None:
    for current, _, names in os.walk(folder):
        for name in names:
            fd = os.open(Path(current) / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(current, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _merge_into(staging: Path, out: Path) -> None:
    """Rename every file of ``staging`` over its namesake in ``out`` (folders created, never through a link)."""
    root_fd, _ = _open_root(out)
    try:
        for current, _, names in os.walk(staging):
            relative = Path(current).relative_to(staging)
            fd = os.dup(root_fd)
            try:
                shown = out
                for folder in relative.parts:
                    shown = shown / folder
                    next_fd = _open_subdir(fd, folder, shown)
                    os.close(fd)
                    fd = next_fd
                for name in sorted(names):
                    _existing_mode(fd, name, shown / name)  # refuses a symlink or FIFO standing there
                    os.replace(Path(current) / name, name, dst_dir_fd=fd)
                os.fsync(fd)
            finally:
                os.close(fd)
    finally:
        os.close(root_fd)


__all__ = [
    "pid_running",
    "remove_stale_temps",
    "staged_folder",
    "temp_name",
    "temp_owner",
    "write_file",
    "write_tree",
]
