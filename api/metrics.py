"""``GET /metrics``: what an operator's Prometheus scrapes, in its text format, through the
standard client package (``prometheus-client``).

* ``accord_http_requests_total{method, route, status}`` and
  ``accord_http_request_duration_seconds{method, route}`` (a histogram), by *route template*
  (``/v1/projects/{project_id}/commitments``), never by concrete path: ids would make a series
  per item. Requests that match no route count as ``route="unmatched"``.
* Read at each scrape: ``accord_events`` (the log's head position), ``accord_projection_lag``
  and ``accord_projection_position`` per view, ``accord_checkpoint_size`` (events covered by the
  latest signed checkpoint) and ``accord_checkpoint_age_seconds``.

Each app has its own registry (tests build many apps in one process). The route answers without
a token, like ``/health``: it holds counts, not ledger data; keep it on an internal network.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from api.bootstrap import Services

log = logging.getLogger("accord.metrics")

#: Latency buckets (seconds): most commands answer in milliseconds, imports in seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class HttpMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "accord_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "accord_http_request_duration_seconds",
            "Time to answer an HTTP request (to its last byte), by method and route template.",
            ["method", "route"],
            buckets=BUCKETS,
            registry=registry,
        )


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (outermost middleware, so a
    request refused by another middleware — 413, 415 — is counted too)."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _template(getattr(scope.get("route"), "path", None))
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(time.perf_counter() - started)


@functools.lru_cache(maxsize=1024)
def _template(path: str | None) -> str:
    """``/v1/projects/{project_id:uuid}/...`` → ``/v1/projects/{project_id}/...``."""
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path) if path else "unmatched"


class LedgerCollector(Collector):
    """The log, the read models and the checkpoints, read when Prometheus scrapes."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterable[Metric]:
        try:
            yield from self._collect()
        except Exception as e:  # a scrape must not fail because storage hiccups
            log.warning("metrics: the ledger could not be read: %s", e)

    def _collect(self) -> Iterable[Metric]:
        head = self.services.ledger.event_log.head()
        events = GaugeMetricFamily(
            "accord_events", "Events in the ledger (the log's head position)."
        )
        events.add_metric([], head)
        yield events
        lag = GaugeMetricFamily(
            "accord_projection_lag", "Events a read model is behind the log.", labels=["view"]
        )
        position = GaugeMetricFamily(
            "accord_projection_position", "The position a read model has reached.", labels=["view"]
        )
        for status in self.services.runner.status():
            lag.add_metric([status.name], status.lag)
            position.add_metric([status.name], status.position)
        yield lag
        yield position
        latest = self.services.integrity.latest_checkpoint()
        size = GaugeMetricFamily(
            "accord_checkpoint_size", "Events covered by the latest signed checkpoint."
        )
        size.add_metric([], latest.size if latest is not None else 0)
        yield size
        if latest is not None and latest.created_at is not None:
            age = GaugeMetricFamily(
                "accord_checkpoint_age_seconds", "Seconds since the latest signed checkpoint."
            )
            age.add_metric([], (datetime.now(UTC) - latest.created_at).total_seconds())
            yield age


def install_metrics(app: FastAPI, services: Services) -> None:
    """``GET /metrics`` and the request-counting middleware (add it last: outermost)."""
    registry = CollectorRegistry()
    metrics = HttpMetrics(registry)
    registry.register(LedgerCollector(services))

    def scrape(_: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_api_route("/metrics", scrape, methods=["GET"], include_in_schema=False)
    app.add_middleware(MetricsMiddleware, metrics=metrics)


__all__ = ["install_metrics"]
