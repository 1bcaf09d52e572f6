"""Shared pieces of the command line: global options, one-line errors, JSON output, loading, tables."""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

import click

if TYPE_CHECKING:  # heavy modules (Polars, pydantic) load only when a command needs them: `--help` stays fast
    from analytics.policy import Policy
    from analytics.windows import Window
    from triage_lens.sources.loading import DataSources, LoadedData


@dataclass
class GlobalOptions:
    """The global options given before the subcommand."""

    data: str | None
    policy: str | None
    now: str | None
    write: bool


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line on stderr and exit (2 = usage or configuration error); connection passwords redacted."""
    from triage_lens.sources.redaction import redact

    click.echo(f"error: {redact(message)}", err=True)
    sys.exit(code)


def emit_json(payload: Any) -> None:
    """The documented JSON on stdout, nothing else. Text that is not valid Unicode (a lone surrogate from a
    ``\\ud800`` escape in the data or an undecodable argument) is written as a JSON ``\\uXXXX`` escape, and so
    are DEL, C1 and bidi controls (:func:`analytics.textsafe.json_safe`): standard JSON, same values, nothing
    raw on the terminal."""
    from analytics.textsafe import json_safe

    text = json.dumps(payload, ensure_ascii=False, indent=2)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(payload, ensure_ascii=True, indent=2)
    click.echo(json_safe(text))


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """A free-text option with lone surrogates (undecodable argument bytes) replaced by U+FFFD."""
    return _SURROGATES.sub("\ufffd", value)


class SafeTextStream:
    """A text stream that writes everything through :func:`analytics.textsafe.safe_text` (terminal controls and
    bidi controls from the data shown as visible escapes) and :func:`triage_lens.sources.redaction.redact` (nothing
    between ``://`` and the last ``@`` of a connection string) to the stream it wraps. Bytes written to ``.buffer``
    (``misses convert``: the alert.json bytes, identical to OpenSRE's) pass unchanged."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def inner(self) -> Any:
        return self._inner

    @property
    def encoding(self) -> str:
        # click re-wraps a stream whose encoding looks like ASCII (around this one); UTF-8 keeps it in place,
        # and the inner stream's backslashreplace handles what its real encoding cannot hold.
        encoding = str(getattr(self._inner, "encoding", None) or "utf-8")
        return "utf-8" if encoding.lower().replace("-", "") in ("ascii", "usascii", "ansix3.41968") else encoding

    @property
    def errors(self) -> str | None:
        return getattr(self._inner, "errors", None)

    def write(self, text: str) -> int:
        from analytics.textsafe import safe_text
        from triage_lens.sources.redaction import redact

        if not isinstance(text, str):  # click probes for a binary stream with write(b"")
            raise TypeError("write() argument must be str")
        # and no connection-string credentials, whichever command printed them (import's "→ postgresql://…")
        self._inner.write(redact(safe_text(text)))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, buffer, …: the wrapped stream's
        return getattr(self._inner, name)


def tolerant_output() -> None:
    """The one output choke point of the CLI, installed before any command runs: stdout and stderr write text
    that is not valid Unicode as backslash escapes instead of failing, and every text write goes through
    :class:`SafeTextStream` (so commands added later get it too)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")
    if sys.stdout is not None and not isinstance(sys.stdout, SafeTextStream):
        sys.stdout = SafeTextStream(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, SafeTextStream):
        sys.stderr = SafeTextStream(sys.stderr)


def resolve(options: GlobalOptions) -> DataSources:
    from triage_lens.sources.loading import SourceError, resolve_sources

    try:
        return resolve_sources(options.data, options.policy, options.now, options.write)
    except SourceError as exc:
        fail(str(exc))


def policy_for(sources: DataSources) -> Policy:
    from analytics.policy import PolicyError
    from triage_lens.sources.config import load_policy

    try:
        return load_policy(sources.policy_path)
    except PolicyError as exc:
        fail(str(exc))


def prepare(options: GlobalOptions) -> tuple[DataSources, Policy]:
    """Resolve the sources and load the policy (exit 2 with one line on a problem)."""
    sources = resolve(options)
    return sources, policy_for(sources)


def load_inputs(sources: DataSources, policy: Policy, inputs: Iterable[str] | None = None) -> LoadedData:
    """Load the named inputs (default: all); print the one-line quarantine warning on stderr (never
    inside the JSON on stdout)."""
    from triage_lens.sources.loading import load_all

    data = load_all(sources, policy, names=inputs)
    warning = data.warning_line()
    if warning:
        from triage_lens.sources.redaction import redact

        click.echo(redact(warning), err=True)
    return data


def load_data(options: GlobalOptions, inputs: Iterable[str] | None = None) -> tuple[DataSources, Policy, LoadedData]:
    """:func:`prepare` then :func:`load_inputs`."""
    sources, policy = prepare(options)
    return sources, policy, load_inputs(sources, policy, inputs)


def pct(value: Any) -> str:
    """A share as a percentage with one decimal, "—" when unknown."""
    return "—" if value is None else f"{value * 100:.1f}%"


def render_table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    """Aligned plain-text columns; ``right`` holds the indexes of right-aligned (numeric) columns. Every cell is
    one line (newlines and tabs as spaces) cut at :data:`analytics.textsafe.NAME_WIDTH` characters with "…"."""
    from analytics.textsafe import cut_name

    right = right or set()
    rows = [[cut_name(c.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


_Command = TypeVar("_Command", bound=Callable[..., Any])


def show_personal_option(where: str) -> Callable[[_Command], _Command]:
    """``--show user_email|user_id`` (repeatable): the personal fields to show ``where``; masked as *** otherwise."""
    from triage_lens.sources.redaction import PERSONAL_FIELDS

    return click.option(
        "--show",
        "show",
        multiple=True,
        type=click.Choice(PERSONAL_FIELDS),
        help=f"Show this personal field in {where} (masked as *** by default); repeatable.",
    )


@overload
def global_options(command: _Command, *, writes: bool = False) -> _Command: ...


@overload
def global_options(command: None = None, *, writes: bool = False) -> Callable[[_Command], _Command]: ...


def global_options(command: Any = None, *, writes: bool = False) -> Any:
    """Also accept the global options after the subcommand (``triage-lens check --data DIR``).

    ``--write`` (write mode) only on a command that writes to the incident store or enables writing
    (``@global_options(writes=True)``); elsewhere it would mean nothing, so it is not offered there, and the
    global ``triage-lens --write`` before such a command is refused (:class:`triage_lens.cli.main.LazyGroup`).
    """
    if command is None:
        return lambda target: global_options(target, writes=writes)

    def merge(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        options = ctx.find_object(GlobalOptions)
        if options is not None and value not in (None, False):
            setattr(options, param.name or "", value)
        return value

    flags: list[tuple[str, dict[str, Any]]] = [
        ("--data", {"metavar": "PATH", "help": "Same as the global --data."}),
        ("--policy", {"metavar": "FILE", "help": "Same as the global --policy."}),
        ("--now", {"metavar": "ISO", "help": "Same as the global --now."}),
    ]
    if writes:
        flags.append(("--write", {"is_flag": True, "help": "Enable write mode (same as the global --write)."}))
    for flag, kwargs in reversed(flags):
        command = click.option(flag, callback=merge, expose_value=False, **kwargs)(command)
    return command


def note_if_empty(data: LoadedData, names: Iterable[str], window: Window, period: str | None = None) -> None:
    """On stderr (never inside JSON): when ``window`` holds none of ``names`` but they hold data, where the data is
    and the ``--now`` that reaches it."""
    from analytics.asof import now_hint, spans_of
    from analytics.schemas import INPUTS_BY_NAME

    frames = {
        n: (data.frame(n), field)
        for n in names
        if (field := INPUTS_BY_NAME[n].time_field) is not None and data.inputs[n].available
    }
    hint = now_hint(spans_of(frames, window), window, period)
    if hint:
        click.echo(f"note: {hint}", err=True)


def takes_write(command: click.Command) -> bool:
    """Whether ``command`` takes ``--write`` (it writes, or enables writing)."""
    return any(param.name == "write" for param in command.params)
