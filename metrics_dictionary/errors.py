"""Typed refusals of the metric workflow: pages and API map them to 403, 409 or 400."""

from __future__ import annotations


class WorkflowError(Exception):
    """A refused action, with a message a person can act on.

    ``kind`` is ``forbidden`` (the user may not do this: HTTP 403), ``conflict`` (the
    object is in the wrong state, or someone else acted first: HTTP 409) or ``invalid``
    (the input is wrong: HTTP 400, ``errors`` maps field names to messages).
    """

    kind = "conflict"
    status_code = 409

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class Forbidden(WorkflowError):
    kind = "forbidden"
    status_code = 403


class Conflict(WorkflowError):
    kind = "conflict"
    status_code = 409


class StaleVersion(Conflict):
    """The version was submitted against an approved version that has since been replaced."""


class DefinitionInvalid(WorkflowError):
    kind = "invalid"
    status_code = 400
