"""``accord projections run | status | rebuild``."""

from __future__ import annotations

import contextlib
import signal
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from api.cli.main import DatabaseURL, app, console, err, open_ledger
from projections.runner import ProjectionRunner, UnknownViewError

projections_app = typer.Typer(
    help="The read models: keep them up to date, see how far they are, rebuild them.",
    no_args_is_help=True,
)
app.add_typer(projections_app, name="projections")


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


@projections_app.command("run")
def run(
    database_url: DatabaseURL = None,
    once: Annotated[bool, typer.Option("--once", help="Catch up, then exit")] = False,
    poll: Annotated[float, typer.Option(help="Seconds between polls for new events")] = 0.2,
) -> None:
    """Keep every view up to date (catch up, then follow new events until interrupted)."""
    ledger = open_ledger(database_url)
    runner = ProjectionRunner(ledger)
    try:
        with _progress() as progress:
            task = progress.add_task("catching up", total=max(runner.head(), 1))
            runner.catch_up(
                lambda position, head: progress.update(task, completed=position, total=max(head, 1))
            )
        console.print(f"All views at position {runner.position()}.")
        if once:
            return
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        console.print("Following new events (Ctrl-C to stop)...")
        with contextlib.suppress(KeyboardInterrupt):
            runner.run_forever(poll_interval=poll)
    finally:
        runner.close()
        ledger.close()


@projections_app.command("status")
def status(database_url: DatabaseURL = None) -> None:
    """Position, lag and state of every view, and the runners keeping them (their state and
    last error). Exits 1 when a view is stalled or erroring."""
    ledger = open_ledger(database_url)
    runner = ProjectionRunner(ledger)
    try:
        health = {v.name: v for v in runner.view_health()}
        table = Table("view", "generation", "position", "head", "lag", "state", "rebuilding")
        for s in runner.status():
            rebuilding = (
                f"generation {s.rebuilding_generation} at {s.rebuilding_position}"
                if s.rebuilding_generation
                else ""
            )
            state = health[s.name].state
            colour = {"stalled": "red", "erroring": "red", "catching_up": "yellow"}.get(state)
            table.add_row(
                s.name,
                str(s.generation),
                str(s.position),
                str(s.head),
                str(s.lag),
                f"[{colour}]{state}[/{colour}]" if colour else state,
                rebuilding,
            )
        console.print(table)
        runners = runner.runners()
        if runners:
            seen = Table("runner", "state", "heartbeat", "failures", "last error")
            for r in runners:
                age = f"{r.heartbeat_age_seconds:.0f} s ago"
                gone = "" if r.alive else " (gone)"
                error = f"{r.last_error} at {r.last_error_at}" if r.last_error else ""
                seen.add_row(r.runner, r.state + gone, age, str(r.failures), error)
            console.print(seen)
        else:
            console.print("No projection runner has run on this database yet.")
        for view in health.values():
            if view.state in ("stalled", "erroring"):
                why = f": {view.last_error}" if view.last_error else ""
                err.print(f"[red]{view.name} is {view.state}[/red]{why}")
        if any(v.state in ("stalled", "erroring") for v in health.values()):
            raise typer.Exit(1)
    finally:
        runner.close()
        ledger.close()


@projections_app.command("rebuild")
def rebuild(
    name: Annotated[str | None, typer.Argument(help="The view to rebuild (default: all)")] = None,
    database_url: DatabaseURL = None,
) -> None:
    """Rebuild views from position zero; the live views serve until the new ones catch up."""
    ledger = open_ledger(database_url)
    runner = ProjectionRunner(ledger)
    try:
        names = [name] if name else list(runner.projections)
        with _progress() as progress:
            for view in names:
                task = progress.add_task(f"rebuilding {view}", total=max(runner.head(), 1))
                try:
                    generation = runner.rebuild(
                        view,
                        lambda position, head, t=task: progress.update(  # type: ignore[misc]
                            t, completed=position, total=max(head, 1)
                        ),
                    )
                except UnknownViewError as e:
                    err.print(f"[red]error:[/red] {e}")
                    raise typer.Exit(2) from None
                progress.update(task, completed=runner.head())
                console.print(f"{view}: now generation {generation}")
    finally:
        runner.close()
        ledger.close()
