"""Logging for ``accord serve``: uvicorn's configuration, with calendar tokens kept out of the
access log, as text or as JSON lines (``ACCORD_LOG_FORMAT=json``).

A calendar app's URL carries its key (``calendar.ics?token=acal_...``), so the access log would
otherwise hold working keys in plain text for anyone who reads the logs.
"""

from __future__ import annotations

import copy
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

import orjson

_SECRET = re.compile(r"(?i)\b(token=)[^&\s\"]+")


def redact(text: str) -> str:
    """``text`` with the value of every ``token=`` query parameter replaced."""
    return _SECRET.sub(r"\1[redacted]", text)


class RedactSecrets(logging.Filter):
    """Replaces ``token=...`` in a record's message and arguments (uvicorn's access lines
    pass the path with its query string as an argument)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


LOG_FORMAT_VARIABLE = "ACCORD_LOG_FORMAT"
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message``;
    an access line also its ``client``, ``method``, ``path``, ``http_version`` and ``status``;
    an error its ``exception`` (the traceback, as one string). Log shippers read it as is."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            entry.update(zip(_ACCESS_FIELDS, record.args, strict=False))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def uvicorn_log_config(log_format: str | None = None) -> dict[str, Any]:
    """uvicorn's default logging configuration, with :class:`RedactSecrets` on the access log
    and Accord's own loggers (``accord.*``) on standard error; JSON lines instead of text when
    ``log_format`` (default: ``ACCORD_LOG_FORMAT``) is ``json``."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["handlers"]["access"].setdefault("filters", []).append("redact_secrets")
    config["loggers"]["accord"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    fmt = (log_format or os.environ.get(LOG_FORMAT_VARIABLE, "text")).strip().lower()
    if fmt == "json":
        for name in config["formatters"]:
            config["formatters"][name] = {"()": JsonLinesFormatter}
    elif fmt not in ("", "text"):
        raise ValueError(f"{LOG_FORMAT_VARIABLE}={fmt!r}: use text or json")
    return config
