"""Settings of the API process, read from the environment (``ACCORD_*``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ledger.storage import database_url_from_environment


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=database_url_from_environment)
    host: str = field(default_factory=lambda: os.environ.get("ACCORD_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(os.environ.get("ACCORD_PORT", "8000")))
