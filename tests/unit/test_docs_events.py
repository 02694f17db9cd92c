from pathlib import Path

from ledger.domain import catalogue


def test_docs_events_md_is_generated_from_the_code() -> None:
    """If this fails, run: .venv/bin/python -m ledger.domain.catalogue > docs/events.md"""
    written = (Path(__file__).parents[2] / "docs" / "events.md").read_text()
    assert written == catalogue.events_markdown()


def test_every_event_says_who_may_cause_it() -> None:
    for event in catalogue.event_classes():
        assert "By:" in catalogue._written_doc(event), event.__qualname__
