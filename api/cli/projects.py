"""``accord project open | time-zone``: open a project and set its time zone from the command
line (the HTTP API's ``POST /v1/projects`` and ``POST /v1/projects/{id}/time-zone``).

The actor is the person named by ``--by``: the command line runs with the operator's access to
the database, as ``accord import`` does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.main import DatabaseURL, ProjectOption, app, console, err, open_ledger, project_id_of
from ledger.domain.errors import DomainError
from ledger.domain.time import DEFAULT_TIME_ZONE

project_app = typer.Typer(help="Open a project; set its time zone.", no_args_is_help=True)
app.add_typer(project_app, name="project")

By = Annotated[str, typer.Option("--by", help="Your email: you act as this team manager")]
TimeZone = Annotated[
    str,
    typer.Option(
        "--time-zone",
        help="IANA time zone of the team (Asia/Shanghai): days, due dates and deadlines",
    ),
]


@project_app.command("open")
def open_project(
    name: Annotated[str, typer.Option(help="The project's name")],
    client_org: Annotated[str, typer.Option(help="The client organisation")],
    team_org: Annotated[str, typer.Option(help="The team's organisation")],
    by: By,
    time_zone: TimeZone = DEFAULT_TIME_ZONE,
    manager_name: Annotated[str | None, typer.Option(help="Your name as a member")] = None,
    description: Annotated[str, typer.Option(help="What the project is about")] = "",
    database_url: DatabaseURL = None,
) -> None:
    """Open a project; you join it as its team manager. Prints its id."""
    ledger = open_ledger(database_url)
    try:
        result = ledger.open_project(
            by,
            name=name,
            client_org=client_org,
            team_org=team_org,
            description=description,
            time_zone=time_zone,
            actor_name=manager_name,
        )
    except DomainError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        ledger.close()
    err.print(f"Opened [bold]{name}[/bold], days counted in {time_zone}.")
    console.print(str(result.id))


@project_app.command("time-zone")
def change_time_zone(
    project: ProjectOption,
    time_zone: Annotated[str, typer.Argument(help="The new IANA time zone (Asia/Shanghai)")],
    by: By,
    database_url: DatabaseURL = None,
) -> None:
    """Count the project's days in another time zone from now on."""
    ledger = open_ledger(database_url)
    try:
        ledger.change_time_zone(by, project_id_of(project), time_zone=time_zone)
    except DomainError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        ledger.close()
    console.print(f"The project's days are now counted in {time_zone}.")
