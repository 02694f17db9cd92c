"""The ``accord`` command line.

``api.cli.main`` holds the root Typer app and the shared helpers (``open_ledger``,
``DatabaseURL``, ``console``/``err``). Each area keeps its commands in its own module here
(``api/cli/<area>.py``), declared on that same ``app`` or as a sub-app added to it, and is
imported below so that its commands register.
"""

from api.cli import (  # noqa: F401  (registers commands)
    backup,
    imports,
    integrity,
    mail,
    operations,
    projections,
    projects,
    tokens,
)
from api.cli.main import app, main

__all__ = ["app", "main"]
