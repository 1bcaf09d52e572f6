"""The Parquet cache around the readers: one typed Parquet file per input version, and for JSON Lines an
append-only cache (parts plus a meta file) so a file that only grew is parsed from its old end only."""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics.schemas import INPUTS_BY_NAME, InputSchema
from triage_lens.sources.atomic import remove_stale_temps, temp_name
from triage_lens.sources.inputs import LoadedInput
from triage_lens.sources.jsonl import too_long_line
from triage_lens.sources.limits import DEFAULT_MAX_LINE_BYTES, long_lines
from triage_lens.sources.readers import (
    ReadResult,
    ReportItem,
    UnreadableInputError,
    empty_frame,
    read_input_file,
    read_jsonl_bytes,
)
from triage_lens.sources.records import _collector_paused

# Bump when the typed layout of a cached file changes, so old caches are never read.
READER_VERSION = "3"  # 3: JSONL parts keep record offsets (``_offset``, ``_len``) instead of the text


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/triage-lens`` (default ``~/.cache/triage-lens``)."""
    env = os.environ if environ is None else environ
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "triage-lens"


def _reader_version(max_line_bytes: int | None) -> str:
    """The reader version a cache was written by, with the line cap (another cap quarantines other lines)."""
    return READER_VERSION if max_line_bytes == DEFAULT_MAX_LINE_BYTES else f"{READER_VERSION}-{max_line_bytes}"


def _cache_names(path: Path, schema: InputSchema, max_line_bytes: int | None) -> tuple[str, str]:
    """(prefix shared by every version of this file's cache, full key of this version)."""
    resolved = str(path.resolve())
    stat = path.stat()
    prefix = f"{schema.name}-{hashlib.sha256(resolved.encode()).hexdigest()[:16]}"
    reader = _reader_version(max_line_bytes)
    version = hashlib.sha256(f"{reader}|{resolved}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:16]
    return prefix, f"{prefix}-{version}"


def _write_cache(directory: Path, prefix: str, key: str, frame: pl.DataFrame, report: dict[str, Any]) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob(f"{prefix}-*"):
            if not stale.name.startswith(key):  # another process may be writing or reading this version
                stale.unlink(missing_ok=True)
        remove_stale_temps(directory)  # what a killed run left (its PID is in the name)
        # per-process temporary names: two processes caching the same file never write into one tmp
        tmp = directory / temp_name(f"{key}.parquet")
        frame.write_parquet(tmp)
        report_tmp = directory / temp_name(f"{key}.report.json")
        report_tmp.write_text(json.dumps(report), encoding="utf-8")
        report_tmp.replace(directory / f"{key}.report.json")
        tmp.replace(directory / f"{key}.parquet")  # written last: its presence means the cache is complete
    except OSError:
        return False
    return True


_LOAD_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOAD_LOCKS_GUARD = threading.Lock()


@contextmanager
def _one_load_at_a_time(name: str, path: Path) -> Iterator[None]:
    """Loads of one input file in this process run one after the other: a second thread asking for a file
    whose cache is being built (the dashboard's start-up warm-up, two first sessions) waits for that build and
    then reads the finished cache, instead of parsing the file a second time beside it."""
    key = (name, str(path.resolve()))
    with _LOAD_LOCKS_GUARD:
        lock = _LOAD_LOCKS.setdefault(key, threading.Lock())
    with lock:
        yield


def load_input(
    name: str,
    path: Path | None,
    *,
    use_cache: bool = True,
    environ: Mapping[str, str] | None = None,
    max_line_bytes: int | None = DEFAULT_MAX_LINE_BYTES,
) -> LoadedInput:
    """Read one input (through the Parquet cache unless ``use_cache`` is False).

    Out: :class:`LoadedInput` whose ``frame`` has the typed columns of the input's schema. A missing
    path gives an empty frame; an unreadable file gives an empty frame and ``error``.
    """
    schema = INPUTS_BY_NAME[name]
    if path is None:
        return LoadedInput(name, None, empty_frame(schema).lazy())
    label = str(path)
    if not path.exists():
        return LoadedInput(name, path, empty_frame(schema).lazy(), error=f"{label}: file not found")
    env = os.environ if environ is None else environ
    use_cache = use_cache and env.get("TRIAGE_LENS_NO_CACHE", "") not in ("1", "true")
    if not use_cache:
        return _load_input(name, path, schema, label, False, cache_dir(env), max_line_bytes)
    with _one_load_at_a_time(name, path):
        return _load_input(name, path, schema, label, True, cache_dir(env), max_line_bytes)


def _load_input(
    name: str,
    path: Path,
    schema: InputSchema,
    label: str,
    use_cache: bool,
    directory: Path,
    max_line_bytes: int | None,
) -> LoadedInput:
    if use_cache and path.is_file() and path.suffix.lower() in JSONL_SUFFIXES:
        return _load_jsonl_cached(name, path, schema, directory, max_line_bytes)
    if use_cache and path.is_file():
        prefix, key = _cache_names(path, schema, max_line_bytes)
        parquet = directory / f"{key}.parquet"
        report_file = directory / f"{key}.report.json"
        if parquet.is_file() and report_file.is_file():
            try:
                report = json.loads(report_file.read_text(encoding="utf-8"))
                items = [ReportItem(**item) for item in report["items"]]
                return LoadedInput(
                    name,
                    path,
                    pl.scan_parquet(parquet),
                    report["rows"],
                    items,
                    report["blank_lines"],
                    from_cache=True,
                )
            except (OSError, ValueError, KeyError, TypeError):
                pass  # a damaged cache entry is rebuilt below
    try:
        result = read_input_file(path, schema, label, max_line_bytes=max_line_bytes)
    except UnreadableInputError as exc:
        return LoadedInput(name, path, empty_frame(schema).lazy(), error=str(exc))
    loaded = LoadedInput(name, path, result.frame.lazy(), result.frame.height, result.items, result.blank_lines)
    if use_cache and path.is_file():
        report = {
            "rows": result.frame.height,
            "blank_lines": result.blank_lines,
            "items": [i.to_dict() for i in result.items],
        }
        if _write_cache(directory, prefix, key, result.frame, report):
            loaded.frame = pl.scan_parquet(directory / f"{key}.parquet")
    return loaded


JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


HASH_WINDOW = 4096  # bytes before the cached offset that must be unchanged for an append


MAX_PARTS = 26  # parts are merged into one past this (a cold build writes about MAX_PARTS - 2)


@dataclass
class _JsonlCache:
    """What is cached for one JSONL file: every complete line up to ``offset`` (just after the last newline).

    The bytes after ``offset`` (an unterminated last line, perhaps still being written) are never cached:
    they are read again on every load, so a half-written line is not quarantined for good.
    """

    version: str
    dev: int
    inode: int
    offset: int
    lines: int
    window_hash: str
    parts: list[str]
    rows: int
    blank_lines: int
    items: list[dict[str, Any]]

    @staticmethod
    def load(file: Path, version: str) -> _JsonlCache | None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            cache = _JsonlCache(**data)
        except (OSError, ValueError, TypeError):
            return None
        return cache if cache.version == version else None


def _window_hash(handle: Any, offset: int) -> str:
    start = max(0, offset - HASH_WINDOW)
    handle.seek(start)
    return hashlib.sha256(handle.read(offset - start)).hexdigest()


def _read_range(handle: Any, start: int, end: int) -> bytes:
    handle.seek(start)
    return bytes(handle.read(end - start))


STALE_PART_AGE_S = 120.0  # a part younger than this may belong to a concurrent rebuild in another process


def _remove_stale_parts(directory: Path, prefix: str, listed: list[str]) -> None:
    """Delete this file's old cache parts: the ones the outdated metadata listed, and orphans older than
    :data:`STALE_PART_AGE_S`. A younger unlisted part may be another process's concurrent rebuild of the same
    file, which reads its parts back lazily, so it must not vanish under that process."""
    now = datetime.now(UTC).timestamp()
    for stale in directory.glob(f"{prefix}-*.parquet"):
        try:
            if stale.name in listed or now - stale.stat().st_mtime > STALE_PART_AGE_S:
                stale.unlink(missing_ok=True)
        except OSError:
            continue


def _load_jsonl_cached(
    name: str, path: Path, schema: InputSchema, directory: Path, max_line_bytes: int | None
) -> LoadedInput:
    """Load a JSONL input through the append-only cache: unchanged -> cached parts; grown with the same bytes
    up to the cached offset -> parse only the new complete lines and add a part; anything else -> rebuild."""
    label = str(path)
    prefix = f"{schema.name}-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]}"
    meta_file = directory / f"{prefix}.meta.json"
    try:
        handle = path.open("rb")
    except OSError as exc:
        return LoadedInput(
            name, path, empty_frame(schema).lazy(), error=f"{label}: cannot read ({exc.strerror or exc})"
        )
    with handle:
        stat = os.fstat(handle.fileno())
        size = stat.st_size
        version = _reader_version(max_line_bytes)
        cache = _JsonlCache.load(meta_file, version)
        usable = (
            cache is not None
            and (cache.dev, cache.inode) == (stat.st_dev, stat.st_ino)
            and size >= cache.offset
            and all((directory / part).is_file() for part in cache.parts)
            and _window_hash(handle, cache.offset) == cache.window_hash
        )
        old_parts = list(cache.parts) if cache is not None else []
        if cache is None or not usable:
            cache = None
        # The complete region ends just after the last newline; what follows is re-read every time.
        complete = _last_newline_end(handle, size, cache.offset if cache else 0)
        new_results: list[ReadResult] = []
        stored_rows: dict[int, int] = {}  # rows of the results already stored as parts (their frames cleared)
        if cache is None:
            cache = _JsonlCache(version, stat.st_dev, stat.st_ino, 0, 0, "", [], 0, 0, [])
            _remove_stale_parts(directory, prefix, old_parts)
            for result, part in _cold_build(handle, complete, schema, label, directory, prefix, max_line_bytes):
                if part is not None:  # stored: its frame was cleared, the loaded frame scans the parts
                    cache.parts.append(part[0])
                    stored_rows[id(result)] = part[1]
                new_results.append(result)
            from_cache = False
        elif complete > cache.offset:
            result = read_jsonl_bytes(
                _read_range(handle, cache.offset, complete),
                schema,
                label,
                first_line=cache.lines + 1,
                max_line_bytes=max_line_bytes,
                byte_offset=cache.offset,
            )
            new_results.append(result)
            from_cache = True
        else:
            from_cache = True
        tail = (
            read_jsonl_bytes(
                _read_range(handle, complete, size),
                schema,
                label,
                first_line=cache.lines + sum(r.lines for r in new_results) + 1,
                max_line_bytes=max_line_bytes,
            )
            if size > complete
            else None
        )
        for result in new_results:
            cache.lines += result.lines
            cache.rows += stored_rows.get(id(result), result.frame.height)
            cache.blank_lines += result.blank_lines
            cache.items.extend(i.to_dict() for i in result.items)
        parts_before = list(cache.parts)
        stored = _store_parts(directory, prefix, cache, [_stored_layout(r, schema) for r in new_results])
        if not stored:
            cache.parts = parts_before
        if new_results:
            cache.offset = complete
            cache.window_hash = _window_hash(handle, complete)
            if stored:
                _write_meta(meta_file, cache)
    frames: list[pl.LazyFrame] = (
        [_with_stored_text(pl.scan_parquet([directory / p for p in cache.parts]), path, schema)] if cache.parts else []
    )
    if not stored:  # the cache folder is not writable: serve what was read from memory, in line order
        frames.extend(r.frame.lazy() for r in new_results)
        frames = [pl.concat(frames, how="vertical").sort("_line")] if len(frames) > 1 else frames
    items = [ReportItem(**i) for i in cache.items]
    rows, blank = cache.rows, cache.blank_lines
    if tail is not None:
        frames.append(tail.frame.lazy())
        items.extend(tail.items)
        rows += tail.frame.height
        blank += tail.blank_lines
    frame = pl.concat(frames, how="vertical") if frames else empty_frame(schema).lazy()
    return LoadedInput(name, path, frame, rows, items, blank, from_cache=from_cache)


BLOCK_BYTES = 16 * 1024 * 1024  # smallest block of a cold JSONL read


def cold_workers() -> int:
    """Blocks decoded at once by a cold build: two where this process may use two CPUs or more. Polars already
    spreads each block's decode over every core; a second block keeps the cores busy while the first one is in
    single-threaded steps (line checks, timestamp parse, part write). More would only hold more blocks in
    memory (each block in flight holds about three times its size)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return 2 if cpus >= 2 else 1


def _cold_build(
    handle: Any,
    complete: int,
    schema: InputSchema,
    label: str,
    directory: Path,
    prefix: str,
    max_line_bytes: int | None,
) -> list[tuple[ReadResult, tuple[str, int] | None]]:
    """Read ``[0, complete)`` of a JSONL file block by block, :func:`cold_workers` blocks at a time in threads
    (Polars releases the GIL, so two blocks decode on two cores), each stored as one Parquet part as soon as it
    is read. Out: per block in file order, its result and (part name, rows stored), or None when the cache
    folder refused the part (the result then keeps its frame). Memory: about ``cold_workers()`` blocks in flight.
    """
    fileno = handle.fileno()
    ranges = _blocks(handle, complete, max_line_bytes)
    remove_stale_temps(directory)  # what a killed run left (its PID is in the name; best effort)
    # Line numbers run on from block to block: each block's first line is known once every earlier block is
    # split into lines (the first step of each worker), not once they are decoded.
    counted: list[Future[int]] = [Future() for _ in ranges]

    def read_block(index: int) -> tuple[ReadResult, tuple[str, int] | None]:
        start, end, too_long = ranges[index]
        if too_long:  # never read: quarantined with its size, the excerpt from its first bytes only
            before = counted[index - 1].result() if index else 0
            counted[index].set_result(before + 1)
            result = too_long_line(fileno, start, end, before + 1, label, max_line_bytes or 0, schema)
            return result, None
        data = os.pread(fileno, end - start, start)

        def numbering(lines: int) -> int:  # called as soon as the block is split into lines
            before = counted[index - 1].result() if index else 0  # the earlier blocks split theirs meanwhile
            counted[index].set_result(before + lines)
            return before + 1

        result = read_jsonl_bytes(
            data,
            schema,
            label,
            first_line=1 if start == 0 else 2,  # only the file's first line may carry a BOM
            max_line_bytes=max_line_bytes,
            byte_offset=start,
            numbering=numbering,
        )
        del data
        if not counted[index].done():  # every path of read_jsonl_bytes numbers its lines: a bug otherwise
            raise RuntimeError(f"{label}: a block's lines were never numbered")
        part = _write_part(directory, prefix, _stored_layout(result, schema))
        if part is None:
            return result, None
        rows = result.frame.height
        result.frame = result.frame.clear()  # on disk now
        return result, (part, rows)

    def guarded(index: int) -> tuple[ReadResult, tuple[str, int] | None]:
        try:
            return read_block(index)
        except BaseException as exc:  # later blocks wait on this count: never leave them waiting
            if not counted[index].done():
                counted[index].set_exception(exc)
            raise

    workers = cold_workers()
    with _collector_paused(), ThreadPoolExecutor(max_workers=workers) as pool:
        # Submitted in file order and started in that order, so a block only ever waits on running ones; at
        # most `workers` blocks are held in memory at once.
        futures: list[Future[tuple[ReadResult, tuple[str, int] | None]]] = []
        for index in range(len(ranges)):
            while sum(not f.done() for f in futures) >= workers:
                wait([f for f in futures if not f.done()], return_when=FIRST_COMPLETED)
            futures.append(pool.submit(guarded, index))
        return [f.result() for f in futures]


def _blocks(handle: Any, end: int, max_line_bytes: int | None) -> list[tuple[int, int, bool]]:
    """(start, stop, too long) byte ranges covering ``[0, end)``: the lines longer than ``max_line_bytes`` on
    their own (terminator excluded: found by a newline scan, never read), the rest in blocks that end just after
    a newline, at least :data:`BLOCK_BYTES` and about ``MAX_PARTS - 2`` of them (a cold build never merges)."""
    if end == 0:
        return [(0, 0, False)]
    with mmap.mmap(handle.fileno(), end, access=mmap.ACCESS_READ) as view:
        too_long = long_lines(view, 0, end, max_line_bytes) if max_line_bytes is not None else []
        size = max(BLOCK_BYTES, -(-end // (MAX_PARTS - 2)))
        ranges: list[tuple[int, int, bool]] = []
        position = 0
        for long_start, long_end in [*too_long, (end, end)]:
            while position < long_start:
                stop = min(long_start, position + size)
                if stop < long_start:
                    newline = view.find(b"\n", stop - 1, long_start)
                    stop = long_start if newline < 0 else newline + 1
                ranges.append((position, stop, False))
                position = stop
            if long_start < end:
                ranges.append((long_start, long_end, True))
                position = min(end, long_end + 1)
    return ranges


def _last_newline_end(handle: Any, size: int, floor: int) -> int:
    """The offset just after the last ``\n`` at or after ``floor`` (``floor`` when there is none)."""
    block = 1 << 16
    end = size
    while end > floor:
        start = max(floor, end - block)
        handle.seek(start)
        chunk = handle.read(end - start)
        found = int(chunk.rfind(b"\n"))
        if found >= 0:
            return start + found + 1
        end = start
    return floor


OFFSET_COLUMNS = {"_offset": pl.Int64(), "_len": pl.Int64()}


def _stored_layout(result: ReadResult, schema: InputSchema) -> pl.DataFrame:
    """A result as a cache part stores it: the typed columns plus ``_offset`` and ``_len``; where the offsets
    are known, ``_raw`` is left null (the text is read back from the file, not stored twice)."""
    frame = result.frame
    if not schema.keep_raw or result.offsets is None or frame.height == 0:
        return frame.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in OFFSET_COLUMNS.items())
    offsets = result.offsets
    if offsets.height == frame.height and offsets["_line"].equals(frame["_line"]):
        frame = frame.hstack(offsets.drop("_line"))  # the usual block: every record has its offsets, no join
    else:
        frame = frame.join(offsets, on="_line", how="left")
    return frame.with_columns(pl.when(pl.col("_offset").is_null()).then(pl.col("_raw")).alias("_raw"))


def _with_stored_text(parts: pl.LazyFrame, path: Path, schema: InputSchema) -> pl.LazyFrame:
    """Cache parts back as the typed frame: ``_raw`` read from ``path`` at each record's offsets, only when a
    query selects it (``misses stats`` never reads it; exports and the miss detail read their rows)."""
    columns = list(schema.polars_schema())
    if not schema.keep_raw:
        return parts.select(columns)
    text = pl.struct("_offset", "_len").map_batches(
        lambda batch: _texts_at(path, batch), return_dtype=pl.Utf8, is_elementwise=True
    )
    return parts.with_columns(pl.coalesce(pl.col("_raw"), text).alias("_raw")).select(columns)


def _texts_at(path: Path, batch: pl.Series) -> pl.Series:
    """The UTF-8 text of ``path`` at each (``_offset``, ``_len``) of ``batch`` (null where the offset is null)."""
    offsets = batch.struct.field("_offset").to_list()
    lengths = batch.struct.field("_len").to_list()
    if all(o is None for o in offsets):
        return pl.Series([None] * len(offsets), dtype=pl.Utf8)
    texts: list[str | None] = []
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        for offset, length in zip(offsets, lengths, strict=True):
            if offset is None:
                texts.append(None)
                continue
            chunk = view[offset : offset + length]
            if len(chunk) != length or chunk[:1] != b"{":
                raise ValueError(f"{path} changed since it was read (no record at byte {offset}); run again")
            texts.append(chunk.decode("utf-8"))
    return pl.Series(texts, dtype=pl.Utf8)


def _write_part(directory: Path, prefix: str, frame: pl.DataFrame) -> str | None:
    """Write one cache part whole (temp + rename); its name, or None when the cache folder refuses it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        part = f"{prefix}-{hashlib.sha256(os.urandom(16)).hexdigest()[:16]}.parquet"
        tmp = directory / temp_name(part)
        # Uncompressed: a part is written once and read often; compression cost a fifth of a cold build's CPU
        # time (dictionary encoding still keeps a part at about a quarter of its block's JSON).
        frame.write_parquet(tmp, compression="uncompressed")
        tmp.replace(directory / part)
    except OSError:
        return None
    return part


def _store_parts(directory: Path, prefix: str, cache: _JsonlCache, frames: list[pl.DataFrame]) -> bool:
    """Write ``frames`` as new Parquet parts (merging all parts into one past ``MAX_PARTS``)."""
    frames = [f for f in frames if f.height]
    if not frames:
        return True
    try:
        directory.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(directory)  # what a killed run left (its PID is in the name)
        if len(cache.parts) + len(frames) > MAX_PARTS:
            merged = pl.concat([pl.read_parquet(directory / p) for p in cache.parts] + frames)
            frames, old = [merged], cache.parts
            cache.parts = []
        else:
            old = []
        for frame in frames:
            part = _write_part(directory, prefix, frame)
            if part is None:
                raise OSError(f"cannot write a cache part in {directory}")
            cache.parts.append(part)
        for stale in old:
            (directory / stale).unlink(missing_ok=True)
    except OSError:
        return False
    return True


def _write_meta(meta_file: Path, cache: _JsonlCache) -> None:
    try:
        tmp = meta_file.with_name(temp_name(meta_file.name))
        tmp.write_text(json.dumps(asdict(cache)), encoding="utf-8")
        tmp.replace(meta_file)
    except OSError:
        pass
