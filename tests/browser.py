"""One headless Chromium for the browser tests (tests/web, tests/evidence): Debian's ``chromium``
package driven by Playwright from PyPI (never ``playwright install``: the browser is the
system's, ``ACCORD_CHROMIUM`` to point elsewhere). ``make test`` installs the package when it is
missing; when the browser still cannot start, the tests fail and say why — like
tests/pgserver.py and tests/dovecot.py, they never skip."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def cannot_start(reason: str) -> NoReturn:
    pytest.fail(f"the browser tests must run: {reason}")


@contextmanager
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        cannot_start("playwright is not installed (make install)")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        cannot_start(f"{CHROMIUM} is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
        except Error as e:
            cannot_start(f"Chromium did not start: {e}")
        try:
            yield browser
        finally:
            browser.close()
