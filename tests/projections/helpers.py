"""Comparing views: every row of every table of every projection, as sorted lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from projections.framework import View, Where
from projections.runner import ProjectionRunner


def dump(
    views: Mapping[str, View], runner: ProjectionRunner, names: list[str] | None = None
) -> dict[str, list[tuple[Any, ...]]]:
    tables: dict[str, list[tuple[Any, ...]]] = {}
    for name, projection in runner.projections.items():
        if names is not None and name not in names:
            continue
        view = views[name]
        for table in projection.tables:
            rows = view.select(table, Where())
            tables[table.name] = sorted(tuple(str(r[c]) for c in table.columns) for r in rows)
    return tables


def dump_generation(runner: ProjectionRunner, name: str, generation: int) -> dict[str, Any]:
    from projections.framework import SqlView

    projection = runner.projections[name]
    view = SqlView(projection.tables, generation, runner.db)
    return {
        t.name: sorted(tuple(str(v) for v in r.values()) for r in view.select(t, Where()))
        for t in projection.tables
    }
