"""User-facing text in Korean (the default) and English, from the Babel catalogues in ``i18n/``.

The ``.po`` files are the source of truth and are read at start (no compiled ``.mo`` files):
``msgid`` is the English source text, ``msgstr`` the text shown.  A message missing from a
catalogue falls back to its English source text, so a forgotten entry is visible, never blank.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("ko", "en")
DEFAULT_LANGUAGE = "ko"
LANGUAGE_COOKIE = "sandan_lang"
#: Babel locale used for number and date formatting in each language.
LOCALES = {"ko": "ko_KR", "en": "en_US"}
#: Names shown in the language switch, each in its own language.
LANGUAGE_NAMES = {"ko": "한국어", "en": "English"}


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language: str) -> dict[str, str]:
    """The translations of one language (``msgid`` → non-empty ``msgstr``)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language '{language}'; sandan speaks {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}
    for raw in catalogue_files(language):
        catalog = read_po(io.BytesIO(raw), locale=language, abort_invalid=True)
        for message in catalog:
            if message.id and isinstance(message.id, str) and isinstance(message.string, str) and message.string:
                out[message.id] = message.string
    return out


def catalogue_files(language: str) -> list[bytes]:
    """The shared catalogue ``i18n/<language>.po`` and each domain's ``i18n/<domain>/<language>.po``."""
    folder = resources.files("sandan.web").joinpath("i18n")
    files = [folder.joinpath(f"{language}.po").read_bytes()]
    for sub in sorted(folder.iterdir(), key=lambda entry: entry.name):
        if sub.is_dir() and sub.joinpath(f"{language}.po").is_file():
            files.append(sub.joinpath(f"{language}.po").read_bytes())
    return files


@dataclass(frozen=True)
class Translator:
    """The ``_()`` of one language: ``_("Sign in")`` or ``_("{n} companies", n=3)``."""

    language: str

    @property
    def locale(self) -> str:
        return LOCALES[self.language]

    def __call__(self, message: str, **values: object) -> str:
        text = catalogue(self.language).get(message, message)
        return text.format(**values) if values else text


def translator(language: str) -> Translator:
    return Translator(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def normalise_language(value: str | None) -> str | None:
    """``"en-US"`` → ``"en"``; anything sandan does not speak → None."""
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else None


def gettext_noop(message: str) -> str:
    """Mark a message for the catalogues where it is translated later (at render time)."""
    return message


N_: Callable[[str], str] = gettext_noop
