"""The envelope every event carries, and the input checks every command shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ledger.domain.envelope import MAX_CLOCK_SKEW, Act
from ledger.domain.errors import InvalidInputError
from ledger.domain.ids import derive_id
from ledger.domain.validation import normalise_email, refuse_nul, require_text
from ledger.domain.values import Attachment, Money


def test_act_normalises_addresses_and_drops_self_attribution() -> None:
    act = Act("  PM@Acme.Test ", attributed_to="pm@acme.test")
    assert act.actor == "pm@acme.test"
    assert act.attributed_to is None
    assert act.principal == "pm@acme.test"


def test_act_keeps_the_attributed_person_as_principal() -> None:
    act = Act("pm@acme.test", attributed_to="sponsor@client.test")
    assert act.principal == "sponsor@client.test"


def test_naive_occurred_at_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"occurred_at.*timezone"):
        Act("pm@acme.test", occurred_at=datetime(2026, 3, 1, 10, 0))


def test_occurred_at_in_the_future_beyond_the_skew_is_refused() -> None:
    now = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    Act("pm@acme.test", occurred_at=now + MAX_CLOCK_SKEW, now=now)
    with pytest.raises(InvalidInputError, match="future"):
        Act("pm@acme.test", occurred_at=now + MAX_CLOCK_SKEW + timedelta(seconds=1), now=now)


def test_occurred_at_keeps_its_own_offset() -> None:
    paris = timezone(timedelta(hours=1))
    occurred = datetime(2026, 3, 1, 11, 0, tzinfo=paris)
    assert Act("pm@acme.test", occurred_at=occurred).occurred_at.utcoffset() == timedelta(hours=1)


def test_act_is_immutable() -> None:
    act = Act("pm@acme.test")
    with pytest.raises(AttributeError):
        act.actor = "someone@else.test"  # type: ignore[misc]


@pytest.mark.parametrize(
    "bad",
    [
        "", "pm", "pm@", "@acme.test", "a b@acme.test", "pm@acme",
        # punctuation no address holds, as typed by mistake (the CLI used to take these)
        "x@y)", "x@y.com)", "x@y.com;", "x,y@acme.test", "a(b)@acme.test", '"pm"@acme.test',
        "x@acme.test）", "pm@[10.0.0.1]",  # noqa: RUF001 (a full-width bracket, from an IME)
        # dots and hyphens in the wrong places, spaces beyond ASCII
        "x@y..test", ".pm@acme.test", "pm.@acme.test", "pm@-acme.test", "pm@acme-.test",
        "p\u00a0m@acme.test", "pm\u3000@acme.test",
    ],
)  # fmt: skip
def test_bad_email_addresses_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        normalise_email(bad, "promisee")
    assert e.value.field == "promisee"
    assert "name@example.com" in str(e.value)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (" Pat.Morgan@Acme.TEST ", "pat.morgan@acme.test"),
        ("o'brien+bills@mail.acme-digital.example", "o'brien+bills@mail.acme-digital.example"),
        ("mailer-daemon@unknown.invalid", "mailer-daemon@unknown.invalid"),
        ("张三@例子.中国", "张三@例子.中国"),
        ("José@Café.fr", "josé@café.fr"),
    ],
)
def test_real_addresses_are_kept_in_lower_case(given: str, stored: str) -> None:
    assert normalise_email(given) == stored


def test_payload_models_are_strict_and_frozen() -> None:
    with pytest.raises(InvalidInputError, match="note: Extra inputs are not permitted"):
        Money.parse({"amount": "10", "currency": "EUR", "note": "x"}, "cost")
    with pytest.raises(InvalidInputError, match="currency"):
        Money.parse({"amount": "10", "currency": "euro"}, "cost")
    with pytest.raises(InvalidInputError, match="sha256"):
        Attachment.parse({"name": "a.pdf", "sha256": "xyz", "size": 3}, "attachments[0]")
    money = Money.parse({"amount": "10.50", "currency": "EUR"}, "cost")
    with pytest.raises(ValueError, match="frozen"):
        money.amount = 1  # type: ignore[misc]


def test_derived_ids_are_stable_and_keyed_by_kind() -> None:
    assert derive_id("interaction", "p", "<m@x>") == derive_id("interaction", "p", "<m@x>")
    assert derive_id("interaction", "p", "<m@x>") != derive_id("commitment", "p", "<m@x>")
    assert derive_id("a", "b", "c") != derive_id("a", "b\x1fc")


# ----------------------------------------------------------------------------------- NUL


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: require_text("a\x00b", "statement"), "statement"),
        (lambda: normalise_email("pm\x00@acme.test", "promisee"), "promisee"),
        (lambda: Act("pm\x00@acme.test"), "actor"),
        (
            lambda: Attachment.parse({"name": "a\x00.pdf", "sha256": "ab" * 32, "size": 3}, "doc"),
            "doc.name",
        ),
    ],
)
def test_nul_in_text_is_refused_naming_the_field(call: Callable[[], object], field: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        call()
    assert (e.value.field, e.value.message) == (field, "must not contain NUL characters (\\x00)")


def test_refuse_nul_names_the_place_inside_lists_and_models() -> None:
    attachment = Attachment(name="x\x00", sha256="ab" * 32, size=1)  # built directly: unchecked
    with pytest.raises(InvalidInputError, match=r"^attachments\[1\]\.name: "):
        refuse_nul(("fine", attachment), "attachments")
    with pytest.raises(InvalidInputError, match=r"^changes\.subject: "):
        refuse_nul({"subject": "\x00"}, "changes")
    refuse_nul(("tab\tand\nnewline", {"k": None}, 3), "ok")  # only NUL is refused
