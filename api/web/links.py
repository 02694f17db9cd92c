"""Where each kind of subject lives, on the web and in the JSON API."""

from __future__ import annotations

from typing import Any

#: The web's name of each subject kind (URL segment) → the audit's subject type and the JSON
#: API's collection.
KINDS: dict[str, tuple[str, str]] = {
    "commitments": ("Commitment", "commitments"),
    "change-requests": ("ChangeRequest", "change-requests"),
    "expectations": ("Expectation", "expectations"),
    "issues": ("Issue", "issues"),
    "decisions": ("Decision", "decisions"),
    "risks": ("Risk", "risks"),
    "meetings": ("Meeting", "meetings"),
    "interactions": ("Interaction", "interactions"),
    "status-reports": ("StatusReport", "status-reports"),
    "acknowledgements": ("AcknowledgementRequest", "acknowledgement-requests"),
}
_BY_TYPE = {subject_type: kind for kind, (subject_type, _) in KINDS.items()}
_ISSUE_KINDS = {"problem", "question", "feedback", "complaint", "suggestion"}
_OPEN_ITEM_KINDS = {
    "commitment": "commitments",
    "change_request": "change-requests",
    "acknowledgement": "acknowledgements",
    "expectation_agreement": "expectations",
    "risk": "risks",
    **dict.fromkeys(_ISSUE_KINDS, "issues"),
}


def kind_of_type(subject_type: str) -> str | None:
    """The web kind of an audit subject type (``ChangeRequest`` → ``change-requests``)."""
    return _BY_TYPE.get(subject_type)


def subject_url(project_id: Any, subject_type: str, subject_id: Any) -> str | None:
    kind = kind_of_type(subject_type)
    return f"/projects/{project_id}/items/{kind}/{subject_id}" if kind else None


def open_item_url(project_id: Any, item: dict[str, Any]) -> str | None:
    kind = _OPEN_ITEM_KINDS.get(item["kind"])
    return f"/projects/{project_id}/items/{kind}/{item['id']}" if kind else None


def json_url(project_id: Any, kind: str, subject_id: Any) -> str:
    return f"/v1/projects/{project_id}/{KINDS[kind][1]}/{subject_id}"
