"""Small charts as inline SVG, drawn on the server: readable without colour (every bar and point
carries its value as text), without JavaScript, and by screen readers (a title, and the same
numbers in a table beside each chart on the page). Every text is escaped here."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH = 380
ROW = 22
LABEL = 110


def bars(
    title: str, rows: Sequence[tuple[str, float | None, str]], *, unit_max: float | None = None
) -> Markup:
    """A horizontal bar chart: one row per ``(label, value, value as text)``."""
    known = [v for _, v, _ in rows if v is not None]
    top = unit_max or (max(known) if known else 1.0) or 1.0
    height = ROW * max(len(rows), 1) + 8
    span = WIDTH - LABEL - 130  # room for the value's text after the longest bar
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i, (label, value, text) in enumerate(rows):
        y = 4 + i * ROW
        width = 0 if value is None else max(1.0, span * value / top)
        parts.append(
            f'<text x="0" y="{y + 14}" class="chart-label">{escape(label[:18])}</text>'
            f'<rect x="{LABEL}" y="{y + 3}" width="{width:.1f}" height="14" class="chart-bar"/>'
            f'<text x="{LABEL + width + 4:.1f}" y="{y + 14}" class="chart-value">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def steps(title: str, points: Sequence[tuple[str, int]]) -> Markup:
    """A step line of counts over time: ``(label of the moment, count)``; the first and last
    labels and every count are written on it."""
    height = 120
    if not points:
        return Markup(
            f'<svg class="chart" viewBox="0 0 {WIDTH} 24" width="{WIDTH}" height="24" role="img" '
            f'aria-label="{escape(title)}"><title>{escape(title)}</title></svg>'
        )
    top = max(c for _, c in points) or 1
    left, right, base, ceiling = 8, WIDTH - 8, height - 24, 16
    step = (right - left) / max(len(points) - 1, 1)

    def y(count: int) -> float:
        return base - (base - ceiling) * count / top

    path = [f"M{left:.1f} {y(points[0][1]):.1f}"]
    for i, (_, count) in enumerate(points[1:], start=1):
        path.append(f"H{left + i * step:.1f} V{y(count):.1f}")
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" class="chart-axis"/>',
        f'<path d="{" ".join(path)}" class="chart-line" fill="none"/>',
    ]
    for i, (_, count) in enumerate(points):
        x = left + i * step
        parts.append(f'<circle cx="{x:.1f}" cy="{y(count):.1f}" r="2.5" class="chart-point"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{y(count) - 5:.1f}" class="chart-value" '
            f'text-anchor="middle">{count}</text>'
        )
    parts.append(
        f'<text x="{left}" y="{height - 6}" class="chart-label">{escape(points[0][0])}</text>'
        f'<text x="{right}" y="{height - 6}" class="chart-label" text-anchor="end">'
        f"{escape(points[-1][0])}</text></svg>"
    )
    return Markup("".join(parts))
