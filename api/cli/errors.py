"""What every ``accord`` command answers when it cannot do what was asked: one line on standard
error and one exit status from one table (:class:`ExitCode`, documented in docs/cli.md), and
the help's value column in words.

:class:`AccordGroup` is the root command's class: expected failures raised by any command
(storage unavailable, not found, refused by the ledger...) become their line and status here,
so commands need not catch them; anything unexpected is written with its traceback to a log
file and answered with a reference to quote (never a traceback on the terminal).
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import tempfile
import traceback
import types
from datetime import UTC, datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.exceptions import ClickException  # typer 0.29 carries its own click
from typer.core import TyperArgument, TyperGroup, TyperOption

from ledger.domain.errors import DomainError, InvalidInputError, NotFoundError
from ledger.storage.availability import StorageUnavailableError
from ledger.storage.settings import StorageURLError

err = Console(stderr=True)
log = logging.getLogger("accord.cli")

ERROR_LOG_VARIABLE = "ACCORD_ERROR_LOG"


class ExitCode(IntEnum):
    """The exit status of every ``accord`` command."""

    DONE = 0  #: done; for checks: everything is as it should be
    CHECK_FAILED = 1  #: a verification or check ran and found a problem (listed)
    USAGE = 2  #: a missing or wrong option, argument or value
    NOT_FOUND = 3  #: the project, item, token or file named does not exist
    STORAGE_UNAVAILABLE = 4  #: the database cannot be reached, opened or used
    REFUSED = 5  #: the ledger refused the step (not a member, not permitted, wrong state...)
    CANNOT_LISTEN = 6  #: `accord serve`: the address or port is in use or not allowed
    INTERNAL = 70  #: a bug: logged with a reference to quote


def fail(message: str, code: ExitCode) -> typer.Exit:
    """Print ``error: message`` on standard error; return the :class:`typer.Exit` to raise."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)
    return typer.Exit(int(code))


def classify(error: BaseException) -> tuple[ExitCode, str] | None:
    """The exit status and line for an expected failure, or ``None`` for a bug."""
    from api.tokens import TokenNotFoundError

    if isinstance(error, StorageUnavailableError):
        return ExitCode.STORAGE_UNAVAILABLE, str(error)
    if isinstance(error, StorageURLError):
        return ExitCode.USAGE, str(error)
    if isinstance(error, NotFoundError | TokenNotFoundError):
        return ExitCode.NOT_FOUND, str(error)
    if isinstance(error, InvalidInputError):
        return ExitCode.USAGE, str(error)
    if isinstance(error, DomainError):
        return ExitCode.REFUSED, str(error)
    if _is_storage_failure(error):
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return ExitCode.STORAGE_UNAVAILABLE, f"the database stopped answering: {first}"
    return None


def _is_storage_failure(error: BaseException) -> bool:
    """A connection lost or a database locked in the middle of a command."""
    from eventsourcing.persistence import InterfaceError, OperationalError

    if isinstance(error, OperationalError | InterfaceError | sqlite3.OperationalError):
        return True
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - installed with the package
        return False
    return isinstance(error, psycopg.OperationalError | PoolTimeout)


def error_log_path() -> Path:
    """Where unexpected errors are written: ``ACCORD_ERROR_LOG``, or ``accord-errors.log`` in
    the system's temporary folder."""
    configured = os.environ.get(ERROR_LOG_VARIABLE)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "accord-errors.log"


def report_unexpected(error: BaseException, command: str) -> str:
    """Append ``error``'s traceback to :func:`error_log_path` under a new reference; return it."""
    reference = f"E-{secrets.token_hex(4)}"
    text = "".join(traceback.format_exception(error))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    path = error_log_path()
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(f"--- {reference} {stamp} accord {command}\n{text}\n")
        where = str(path)
    except OSError:
        where = "the log (could not write the error file)"
    log.error("unexpected error %s in accord %s: %s", reference, command, error, exc_info=error)
    err.print(
        f"[red]error:[/red] unexpected {type(error).__name__}: {escape(str(error)[:200])} "
        f"(reference {reference}; details in {escape(where)})",
        soft_wrap=True,
        highlight=False,
    )
    return reference


class AccordGroup(TyperGroup):
    """The root ``accord`` command: one line and one exit status per failure, help in words."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        describe_values(self)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as e:
            # typer's conversions say "Value error, 'xlsx' is not one of ...": drop the prefix.
            e.message = e.message.replace("Value error, ", "")
            raise
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except Exception as e:
            known = classify(e)
            if known is not None:
                code, line = known
                raise fail(line, code) from None
            report_unexpected(e, " ".join(_command_path(ctx)))
            raise typer.Exit(int(ExitCode.INTERNAL)) from None


def _command_path(ctx: Any) -> list[str]:
    words = [*getattr(ctx, "_protected_args", ()), *ctx.args]
    return [w for w in words if not w.startswith("-")][:3]


# ------------------------------------------------------------------------ help in words

#: The value an option takes, in words, by option name (else by type, see :func:`_word`).
VALUE_WORDS = {
    "--project": "PROJECT-ID",
    "--subject": "ITEM-ID",
    "--email": "EMAIL",
    "--person": "EMAIL",
    "--as": "EMAIL",
    "--database-url": "URL",
    "--base-url": "URL",
    "--host": "ADDRESS",
    "--port": "PORT",
    "--from": "DATE",
    "--to": "DATE",
    "--key": "KEY",
    "--key-file": "FILE",
    "--output": "FILE",
    "--checkpoint": "FILE",
    "--label": "TEXT",
    "--name": "TEXT",
    "--role": "ROLE",
    "--party": "PARTY",
}


def describe_values(command: Any) -> None:
    """Give every parameter of ``command`` and its sub-commands a value column in words:
    ``PROJECT-ID``, ``FILE``, ``NUMBER``, the choices for a choice, nothing for a flag —
    not typer's Python types (``<bool>``, ``<list[int]>``)."""
    for param in command.params:
        if isinstance(param, TyperOption | TyperArgument):
            word = _word(param)
            param.display_type_rich = types.MethodType(  # type: ignore[method-assign]
                lambda self, ctx, word=word: word, param
            )
    _no_value_for_help(command)
    for sub in getattr(command, "commands", {}).values():
        describe_values(sub)


def _no_value_for_help(command: Any) -> None:
    """``--help`` is made when help is asked for: give it no value column either."""
    made = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = made(ctx)
        if option is not None:
            option.display_type_rich = types.MethodType(lambda self, ctx: None, option)
        return option

    command.get_help_option = get_help_option


def _word(param: TyperOption | TyperArgument) -> str | None:
    if isinstance(param, TyperOption) and (param.is_flag or param.name == "help"):
        return None
    kind = param.type_descriptor
    if kind.is_choice:
        word = "one of: " + ", ".join(str(getattr(c, "value", c)) for c in kind.choices or ())
    else:
        named = next((VALUE_WORDS[o] for o in param.opts if o in VALUE_WORDS), None)
        word = named or _type_word(param)
    if kind.is_list:
        word += " (repeat)" if isinstance(param, TyperOption) else " ..."
    return word


def _type_word(param: TyperOption | TyperArgument) -> str:
    kind = param.type_descriptor
    annotation = kind.annotation
    if kind.is_list:
        args = getattr(annotation, "__args__", ())
        annotation = args[0] if args else str
    if kind.is_path:
        return "FILE" if isinstance(param, TyperArgument) else "PATH"
    if annotation is int:
        return "NUMBER"
    if annotation is float:
        return "SECONDS" if "seconds" in (param.name or "") else "NUMBER"
    if isinstance(param, TyperArgument):
        return (param.name or "value").upper().replace("_", "-")
    return "TEXT"


#: The exit status table, as printed in docs/cli.md and `accord --help`.
EXIT_CODES_HELP = "Exit status: " + "; ".join(
    f"{int(code)} {text}"
    for code, text in (
        (ExitCode.DONE, "done"),
        (ExitCode.CHECK_FAILED, "a check found a problem"),
        (ExitCode.USAGE, "wrong usage"),
        (ExitCode.NOT_FOUND, "not found"),
        (ExitCode.STORAGE_UNAVAILABLE, "storage unavailable"),
        (ExitCode.REFUSED, "refused by the ledger"),
        (ExitCode.CANNOT_LISTEN, "cannot listen"),
        (ExitCode.INTERNAL, "unexpected error (logged with a reference)"),
    )
)
