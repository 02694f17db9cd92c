"""Fixtures of the evidence tests: the headless browser (tests/evidence/browser.py)."""

from tests.evidence.browser import browser

__all__ = ["browser"]
