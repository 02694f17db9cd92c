"""``accord project open | list | show | time-zone`` and ``accord member add | remove | list``:
everything the README shows, without the HTTP API.

``project open`` prints the new project's id alone on standard output, so that
``PROJECT=$(accord project open ...)`` works; what it did goes to standard error. Steps are
recorded by the person named with ``--as`` (as over HTTP, the actor of every event): the
project's opener becomes its team manager, and only a team manager adds or removes members.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.table import Column, Table

from api.cli.errors import ExitCode, fail
from api.cli.main import DatabaseURL, ProjectOption, app, console, err, open_ledger, project_id_of
from ledger.domain.project import Project
from ledger.domain.roles import Party, Role
from ledger.domain.time import DEFAULT_TIME_ZONE
from ledger.domain.topics import stored_topic

project_app = typer.Typer(help="Projects: open one, list them, show one.", no_args_is_help=True)
member_app = typer.Typer(
    help="A project's people: add, remove and list members.", no_args_is_help=True
)
app.add_typer(project_app, name="project")
app.add_typer(member_app, name="member")

ActorOption = Annotated[
    str,
    typer.Option(
        "--as",
        help="Who records the step: your email (the opener of a project becomes its team "
        "manager; members are added and removed by a team manager)",
    ),
]


@project_app.command("open")
def open_project(
    name: Annotated[str, typer.Option(help="The project's name")],
    client_org: Annotated[str, typer.Option(help="The client's organisation")],
    team_org: Annotated[str, typer.Option(help="Your organisation (the team's side)")],
    actor: ActorOption,
    time_zone: Annotated[
        str,
        typer.Option(
            "--time-zone",
            help="IANA time zone of the team (Asia/Shanghai): days, due dates and deadlines",
        ),
    ] = DEFAULT_TIME_ZONE,
    description: Annotated[str, typer.Option(help="What the project is about")] = "",
    actor_name: Annotated[
        str | None, typer.Option("--as-name", help="Your name as the project shows it")
    ] = None,
    database_url: DatabaseURL = None,
) -> None:
    """Open a project; you join it as its team manager. Prints the project's id."""
    ledger = open_ledger(database_url)
    try:
        recorded = ledger.open_project(
            actor,
            name=name,
            client_org=client_org,
            team_org=team_org,
            description=description,
            time_zone=time_zone,
            actor_name=actor_name,
        )
    finally:
        ledger.close()
    typer.echo(str(recorded.id))
    err.print(
        f"opened project {name!r} ({recorded.id}) in {time_zone}; {actor} is its team manager",
        soft_wrap=True,
    )


@project_app.command("time-zone")
def change_time_zone(
    project: ProjectOption,
    time_zone: Annotated[str, typer.Argument(help="The new IANA time zone (Asia/Shanghai)")],
    actor: ActorOption,
    database_url: DatabaseURL = None,
) -> None:
    """Count the project's days in another time zone from now on (a team manager)."""
    ledger = open_ledger(database_url)
    try:
        ledger.change_time_zone(actor, project_id_of(project), time_zone=time_zone)
    finally:
        ledger.close()
    console.print(f"The project's days are now counted in {time_zone}.")


@project_app.command("list")
def list_projects(database_url: DatabaseURL = None) -> None:
    """Every project in the ledger: id, name, sides, members, open or closed."""
    ledger = open_ledger(database_url)
    try:
        projects = _all_projects(ledger)
    finally:
        ledger.close()
    table = Table(Column("id", no_wrap=True), "name", "client", "team", "members", "state")
    for project in projects:
        table.add_row(
            str(project.id),
            project.name,
            project.client_org,
            project.team_org,
            str(len(project.members)),
            "closed" if project.closed else "open",
        )
    console.print(table, soft_wrap=True)
    if not projects:
        err.print("no projects yet: `accord project open --help` says how to open one")


def _all_projects(ledger: object) -> list[Project]:
    """The projects in opening order (from the notification log's ``Project.Opened`` events)."""
    from ledger.service.application import Ledger

    assert isinstance(ledger, Ledger)
    topic = stored_topic(Project.Opened)
    found: list[Project] = []
    after = 0
    while True:
        batch = ledger.event_log.after(after, 500, topics=[topic])
        found.extend(ledger.get_project(UUID(str(n.originator_id))) for n in batch)
        if len(batch) < 500:
            return found
        after = batch[-1].id


@project_app.command("show")
def show_project(project: ProjectOption, database_url: DatabaseURL = None) -> None:
    """One project: its name, sides, state, members and key contacts."""
    project_id = project_id_of(project)
    ledger = open_ledger(database_url)
    try:
        found = ledger.get_project(project_id)
    finally:
        ledger.close()
    console.print(f"[bold]{found.name}[/bold]  {found.id}", soft_wrap=True, highlight=False)
    console.print(f"client: {found.client_org}    team: {found.team_org}", highlight=False)
    if found.description:
        console.print(found.description, soft_wrap=True, highlight=False)
    console.print(f"state: {'closed' if found.closed else 'open'}", highlight=False)
    _print_members(found)
    for email, area in sorted(found.key_contacts.items()):
        console.print(f"key contact for {area}: {email}", highlight=False)


def _print_members(project: Project) -> None:
    table = Table("email", "name", "party", "role")
    for member in sorted(project.members.values(), key=lambda m: (m.party, m.email)):
        table.add_row(member.email, member.name, str(member.party), str(member.role))
    console.print(table, soft_wrap=True)


@member_app.command("add")
def add_member(
    project: ProjectOption,
    email: Annotated[str, typer.Option(help="The new member's email")],
    role: Annotated[Role, typer.Option(help="What they may do in the project")],
    actor: ActorOption,
    name: Annotated[str | None, typer.Option(help="Their name (default: the email)")] = None,
    party: Annotated[
        Party | None,
        typer.Option(help="Their side (default: the role's; required for an auditor)"),
    ] = None,
    database_url: DatabaseURL = None,
) -> None:
    """Add a person to a project with a role (as a team manager)."""
    project_id = project_id_of(project)
    side = party or role.party
    if side is None:
        raise fail("--party: an auditor may come from any side: name it", ExitCode.USAGE)
    ledger = open_ledger(database_url)
    try:
        ledger.add_member(actor, project_id, email=email, name=name or email, party=side, role=role)
    finally:
        ledger.close()
    err.print(f"added {email} to {project_id} as {role} ({side})", soft_wrap=True)


@member_app.command("remove")
def remove_member(
    project: ProjectOption,
    email: Annotated[str, typer.Option(help="The member's email")],
    actor: ActorOption,
    reason: Annotated[str, typer.Option(help="Why they leave (kept with the event)")] = "",
    database_url: DatabaseURL = None,
) -> None:
    """Remove a member from a project (as a team manager); what they recorded stays."""
    project_id = project_id_of(project)
    ledger = open_ledger(database_url)
    try:
        ledger.remove_member(actor, project_id, email=email, reason=reason)
    finally:
        ledger.close()
    err.print(f"removed {email} from {project_id}", soft_wrap=True)


@member_app.command("list")
def list_members(project: ProjectOption, database_url: DatabaseURL = None) -> None:
    """A project's members: email, name, side and role."""
    project_id = project_id_of(project)
    ledger = open_ledger(database_url)
    try:
        found = ledger.get_project(project_id)
    finally:
        ledger.close()
    _print_members(found)
