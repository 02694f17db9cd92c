from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.service.application import Ledger
from projections.asof import LiveViews
from projections.runner import ProjectionRunner


@pytest.fixture
def runner(ledger: Ledger) -> Iterator[ProjectionRunner]:
    r = ProjectionRunner(ledger, batch_size=7)  # small batches: many batch boundaries
    try:
        yield r
    finally:
        r.close()


@pytest.fixture
def live(runner: ProjectionRunner) -> LiveViews:
    return LiveViews(runner)
