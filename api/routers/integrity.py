"""The tamper-evident log over HTTP: signed checkpoints, the public key, inclusion and
consistency proofs, and evidence bundles (see docs/integrity.md).

Checkpoints and the key carry no project data (a size and a root), so any authenticated caller
may read them. An inclusion proof names an event: only members of its project get one. Evidence
bundles: a project's team managers and auditors take any of its subjects, its whole project or a
person's part; any other member takes the bundle of a subject they are party to (see
:func:`may_take_subject_evidence`). Nothing of another project, ever: the subject is looked up
in the path's project only.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Path, Query, Response
from pydantic import Field

from api.bootstrap import Services
from api.deps import CurrentPerson, ProjectAccess, ProjectMember, ServicesDep
from api.problems import READ_RESPONSES, ApiProblem
from api.routing import ResourceRouter
from api.schemas.queries import BaseModel
from ledger.domain.project import ProjectNotFoundError
from ledger.domain.roles import Role
from ledger.integrity.bundles import EvidenceNotFoundError, EvidenceScope

router = ResourceRouter(tags=["integrity"])

NOTE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {}}, "description": "A C2SP signed note."}
}


class InclusionProofPublic(BaseModel):
    position: int = Field(description="The event's position in the log.")
    leaf_index: int = Field(description="Its leaf's index in the Merkle tree (0-based).")
    tree_size: int
    leaf_hash: str = Field(description="Base64 of SHA-256(0x00 || leaf data).")
    path: list[str] = Field(description="RFC 9162 audit path, leaf to root, base64.")


class ConsistencyProofPublic(BaseModel):
    old_size: int
    new_size: int
    old_root: str = Field(description="Base64 root of the older tree.")
    new_root: str
    path: list[str] = Field(description="RFC 9162 consistency proof, base64.")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _note(text: str | None, what: str) -> Response:
    if text is None:
        raise ApiProblem("not-found", f"no {what}")
    return Response(content=text, media_type="text/plain; charset=utf-8")


@router.get("/v1/log/checkpoint", responses={**NOTE, **READ_RESPONSES})
def latest_checkpoint(person: CurrentPerson, services: ServicesDep) -> Response:
    """The latest signed checkpoint of the whole log (origin, size, root, Ed25519 signature)."""
    latest = services.integrity.latest_checkpoint()
    return _note(latest.note if latest else None, "checkpoint has been made yet")


@router.get("/v1/log/checkpoints/{size}", responses={**NOTE, **READ_RESPONSES})
def checkpoint_by_size(
    person: CurrentPerson,
    services: ServicesDep,
    size: Annotated[int, Path(ge=0, le=2**63 - 1, description="The tree size.")],
) -> Response:
    """The kept checkpoint of exactly ``size`` leaves."""
    found = services.integrity.checkpoint(size)
    return _note(found.note if found else None, f"checkpoint of size {size}")


@router.get("/v1/log/key", responses={**NOTE, **READ_RESPONSES})
def public_key(person: CurrentPerson, services: ServicesDep) -> Response:
    """The log's public key, in C2SP verifier-key form ``<name>+<key id>+<base64 key>``; the
    ``Accord-Key-Fingerprint`` header gives its fingerprint (SHA-256 of the 32-byte key, hex),
    the value a recipient of an evidence bundle compares (``accord evidence verify
    --fingerprint``)."""
    response = _note(services.integrity.public_key(), "key")
    response.headers["Accord-Key-Fingerprint"] = services.integrity.verifier.fingerprint
    return response


@router.get("/v1/log/proofs/inclusion", responses=READ_RESPONSES)
def inclusion_proof(
    person: CurrentPerson,
    services: ServicesDep,
    position: Annotated[int, Query(ge=1, le=2**63 - 1, description="The event's position.")],
    tree_size: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="Default: the latest checkpoint.")
    ] = None,
) -> InclusionProofPublic:
    """The proof that the event at ``position`` is in the tree of ``tree_size`` leaves."""
    event = services.ledger.event_log.event_at(position)
    try:
        if event is None:
            raise ProjectNotFoundError(f"no event at position {position}")
        services.ledger.membership(event.project_id, person.email)
    except ProjectNotFoundError:
        raise ApiProblem(
            "not-found", f"no event at position {position} that you may read"
        ) from None
    try:
        proof = services.integrity.inclusion_proof(position, tree_size)
    except (LookupError, ValueError) as e:
        raise ApiProblem("invalid-input", str(e), field="tree_size") from None
    return InclusionProofPublic(
        position=proof.position,
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        leaf_hash=_b64(proof.leaf_hash),
        path=[_b64(h) for h in proof.path],
    )


@router.get("/v1/log/proofs/consistency", responses=READ_RESPONSES)
def consistency_proof(
    person: CurrentPerson,
    services: ServicesDep,
    old_size: Annotated[int, Query(ge=0, le=2**63 - 1, description="The older tree size.")],
    new_size: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="Default: the latest checkpoint.")
    ] = None,
) -> ConsistencyProofPublic:
    """The proof that the tree of ``old_size`` leaves is a prefix of the tree of ``new_size``."""
    try:
        proof = services.integrity.consistency_proof(old_size, new_size)
    except (LookupError, ValueError) as e:
        raise ApiProblem("invalid-input", str(e), field="old_size") from None
    return ConsistencyProofPublic(
        old_size=proof.old_size,
        new_size=proof.new_size,
        old_root=_b64(proof.old_root),
        new_root=_b64(proof.new_root),
        path=[_b64(h) for h in proof.path],
    )


@router.get(
    "/v1/projects/{project_id}/evidence",
    responses={
        200: {"content": {"application/zip": {}}, "description": "The bundle."},
        **READ_RESPONSES,
    },
)
def evidence_bundle(
    access: ProjectMember,
    services: ServicesDep,
    subject: Annotated[UUID | None, Query(description="One item's id.")] = None,
    person: Annotated[str | None, Query(max_length=254, description="One person's email.")] = None,
    from_: Annotated[
        datetime | None, Query(alias="from", description="Occurred at or after.")
    ] = None,
    to: Annotated[datetime | None, Query(description="Occurred at or before (inclusive).")] = None,
    lang: Annotated[Literal["en", "zh-Hans"], Query(description="The report's language.")] = "en",
) -> Response:
    """An evidence bundle (ZIP) for the project, one subject, or one person's part in it:
    the events as stored and decoded (a subject with its closure: docs/integrity.md),
    inclusion proofs into one signed checkpoint, the public key, a signed manifest, a report
    and a README telling anyone how to verify it offline. Team managers and auditors take any;
    other members the bundle of a subject they are party to."""
    if subject is not None and person is not None:
        raise ApiProblem("invalid-input", "give a subject or a person, not both", field="person")
    if access.role not in (Role.TEAM_MANAGER, Role.AUDITOR):
        if subject is None:
            raise ApiProblem(
                "forbidden",
                "project and person bundles are for team managers and auditors; "
                "ask for the bundle of a subject you are party to",
            )
        if not may_take_subject_evidence(services, access, subject):
            raise ApiProblem(
                "forbidden",
                f"{access.email} is not party to {subject} (promisor, promisee, requester, "
                "approver, acknowledger or attendee)",
            )
    for name, moment in (("from", from_), ("to", to)):
        if moment is not None and moment.utcoffset() is None:
            raise ApiProblem("invalid-input", "give a time zone", field=name)
    bounds: dict[str, Any] = {"start": from_, "end": to, "project_id": access.project_id}
    try:
        if subject is not None:
            scope = EvidenceScope.subject(subject, **bounds)
        elif person is not None:
            scope = EvidenceScope.for_person(person, **bounds)
        else:
            scope = EvidenceScope("project", id=access.project_id, **bounds)
    except ValueError as e:
        field = "person" if person is not None else "from"
        raise ApiProblem("invalid-input", str(e), field=field) from None
    try:
        data = services.integrity.export_evidence(scope, language=lang)
    except EvidenceNotFoundError as e:
        raise ApiProblem("not-found", str(e)) from None
    name = f"evidence-{subject or access.project_id}.zip"
    return Response(
        content=data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def may_take_subject_evidence(services: Services, access: ProjectAccess, subject: UUID) -> bool:
    """Whether the caller is party to ``subject`` of the path's project: its promisor,
    promisee, requester, approver (or other decider), a person asked to acknowledge it, an
    attendee (:func:`ledger.integrity.closure.parties_of`). A subject of another project is
    not found here (404, as for any project's item one may not see)."""
    try:
        parties = services.integrity.subject_parties(subject, access.project_id)
    except EvidenceNotFoundError as e:
        raise ApiProblem("not-found", str(e)) from None
    return access.email in parties
