"""Logging for ``accord serve``: uvicorn's configuration, with calendar tokens kept out of the
access log.

A calendar app's URL carries its key (``calendar.ics?token=acal_...``), so the access log would
otherwise hold working keys in plain text for anyone who reads the logs.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

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


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's default logging configuration, with :class:`RedactSecrets` on the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": RedactSecrets}
    config["handlers"]["access"].setdefault("filters", []).append("redact_secrets")
    return config
