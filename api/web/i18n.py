"""Languages of the web app: English (the source strings) and Simplified Chinese.

The catalogues are gettext ``.po`` files under ``api/web/locales/``; they are compiled in memory
when the app starts (Babel's ``read_po`` and ``write_mo``), so a fresh clone needs no build step
and no compiled ``.mo`` file is kept in git. The reader's language is, in order: the
``accord_lang`` cookie set by the language switch, the browser's ``Accept-Language``, English.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGE_COOKIE = "accord_lang"


@dataclass(frozen=True)
class Language:
    code: str  # as in URLs, cookies and the html lang attribute
    catalogue: str | None  # the folder under locales/ (None: the source strings)
    locale: str  # Babel's locale for dates and numbers
    label: str  # the language's own name, for the switch


LANGUAGES: dict[str, Language] = {
    "en": Language("en", None, "en_GB", "English"),
    "zh-Hans": Language("zh-Hans", "zh_Hans", "zh_Hans_CN", "简体中文"),
}
DEFAULT = "en"


def choose(cookie: str | None, accept_language: str | None) -> Language:
    """The reader's language: the switch's cookie, else the best of ``Accept-Language``."""
    if cookie in LANGUAGES:
        return LANGUAGES[cookie]
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            wanted.append((quality, tag.strip()))
    for _, tag in sorted(wanted, key=lambda w: -w[0]):
        tag = tag.lower()
        if tag == "zh" or tag.startswith(("zh-hans", "zh-cn", "zh-sg", "zh_hans", "zh_cn")):
            return LANGUAGES["zh-Hans"]
        if tag == "en" or tag.startswith("en-") or tag == "*":
            return LANGUAGES[DEFAULT]
    return LANGUAGES[DEFAULT]


def N_(message: str) -> str:
    """Marks a string for the catalogue where it is defined; it is translated where shown."""
    return message


#: The words of states and kinds that pages show (enum values, with spaces for underscores):
#: marked here for the catalogue, translated by the templates' ``word`` macro.
WORDS = (
    N_("open"),
    N_("fulfilled"),
    N_("fulfilment disputed"),
    N_("accepted"),
    N_("withdrawn"),
    N_("released"),
    N_("requested"),
    N_("assessed"),
    N_("approved"),
    N_("rejected"),
    N_("implemented"),
    N_("acknowledged"),
    N_("disputed"),
    N_("active"),
    N_("closed"),
    N_("confirmed"),
    N_("current"),
    N_("materialised"),
    N_("resolved"),
    N_("submitted"),
    N_("superseded"),
    N_("in progress"),
    N_("missed"),
    N_("unanswered"),
    N_("awaiting acknowledgement"),
    N_("awaiting agreement"),
    N_("awaiting"),
    N_("agreed"),
    N_("proposed"),
    N_("declined"),
    N_("revision"),
    N_("withdrawal"),
    N_("change"),
    N_("set"),
    N_("awaiting assessment"),
    N_("awaiting choice"),
    N_("awaiting decision"),
    N_("resolved awaiting confirmation"),
    N_("response planned"),
    N_("commitment"),
    N_("change request"),
    N_("acknowledgement"),
    N_("expectation agreement"),
    N_("problem"),
    N_("question"),
    N_("feedback"),
    N_("complaint"),
    N_("suggestion"),
    N_("risk"),
    N_("missed cadence"),
    N_("email"),
    N_("phone"),
    N_("video"),
    N_("im"),
    N_("meeting"),
    N_("in person"),
    N_("document"),
    N_("added"),
    N_("revised"),
    N_("scope item"),
    N_("goal"),
    N_("milestone"),
    N_("deliverable"),
    N_("budget"),
    N_("timeline"),
    N_("assumption"),
    N_("constraint"),
    N_("acceptance criterion"),
    N_("commitments"),
    N_("change requests"),
    N_("expectations"),
    N_("issues"),
    N_("decisions"),
    N_("risks"),
    N_("meetings"),
    N_("interactions"),
    N_("status reports"),
    N_("acknowledgements"),
)
#: The names of the items' fields, as the details of a subject page show them.
FIELD_NAMES = (
    N_("acknowledged by"),
    N_("action items"),
    N_("affected expectations"),
    N_("agenda"),
    N_("agreed by"),
    N_("amount"),
    N_("assessments"),
    N_("attachments"),
    N_("attendees"),
    N_("body sha256"),
    N_("by"),
    N_("cadence kind"),
    N_("cc"),
    N_("change request ids"),
    N_("channel"),
    N_("chosen option id"),
    N_("circulated to"),
    N_("commitment id"),
    N_("conditions"),
    N_("corrections"),
    N_("cost"),
    N_("cost delta"),
    N_("created at"),
    N_("currency"),
    N_("date"),
    N_("deadline"),
    N_("decided by"),
    N_("delivery"),
    N_("description"),
    N_("discussion points"),
    N_("due at"),
    N_("end"),
    N_("expectation id"),
    N_("expected resolution"),
    N_("from address"),
    N_("id"),
    N_("impact"),
    N_("in reply to"),
    N_("issue id"),
    N_("issued by"),
    N_("kind"),
    N_("media type"),
    N_("metric"),
    N_("minutes by"),
    N_("minutes version"),
    N_("name"),
    N_("next steps"),
    N_("note"),
    N_("occurred at"),
    N_("options"),
    N_("options considered"),
    N_("owner"),
    N_("participants"),
    N_("party"),
    N_("percent complete"),
    N_("period end"),
    N_("period start"),
    N_("person"),
    N_("place"),
    N_("plan"),
    N_("probability"),
    N_("problems"),
    N_("progress"),
    N_("project id"),
    N_("promisee"),
    N_("promisor"),
    N_("proposal"),
    N_("proposed by"),
    N_("raised by"),
    N_("raiser party"),
    N_("rationale"),
    N_("reason"),
    N_("recorded by"),
    N_("recorded for"),
    N_("requested by"),
    N_("requesting party"),
    N_("resolution"),
    N_("response"),
    N_("response owner"),
    N_("responses"),
    N_("retracted"),
    N_("revisions"),
    N_("schedule delta days"),
    N_("scope impact"),
    N_("severity"),
    N_("sha256"),
    N_("size"),
    N_("source"),
    N_("source ref"),
    N_("start"),
    N_("state"),
    N_("statement"),
    N_("strategy"),
    N_("subject"),
    N_("subject digest"),
    N_("subject id"),
    N_("subject kind"),
    N_("subject version"),
    N_("summary"),
    N_("superseded by"),
    N_("target"),
    N_("text"),
    N_("time days"),
    N_("title"),
    N_("to"),
    N_("updated at"),
    N_("value"),
    N_("version"),
    N_("withdraw"),
)


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of ``code`` (English: the source strings themselves)."""
    language = LANGUAGES[code]
    if language.catalogue is None:
        return NullTranslations()
    path = LOCALES_DIR / language.catalogue / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        catalog = read_po(po, locale=language.catalogue)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


@cache
def babel_locale(code: str) -> Locale:
    return Locale.parse(LANGUAGES[code].locale)
