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
