"""The domain errors, named after what went wrong. The HTTP layer maps each to a status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a command can raise because of what was asked."""


class InvalidInputError(DomainError, ValueError):
    """A value is malformed. ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidTransitionError(DomainError):
    """The item's lifecycle does not allow this step now (events never go backwards)."""


class NotPermittedError(DomainError):
    """The person asking may not take this step (wrong side, wrong role, not themself).
    ``field``, when given, names the input that asked for it (``attributed_to``...)."""

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(DomainError, LookupError):
    """Base of the ``...NotFoundError`` errors."""


class ConflictError(DomainError):
    """Someone else changed the same item at the same time; reload and try again."""


class ProjectClosedError(InvalidTransitionError):
    """The project is closed: nothing more can be recorded in it."""
