"""Every interface string has an English and a Ukrainian translation."""

from configparser import ConfigParser

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import PROJECT_ROOT

CATALOGUES = PROJECT_ROOT / "webgis" / "translations"
LANGUAGES = ["en", "uk"]


def source_messages() -> set[str]:
    """Message ids in the code and templates, found as `pybabel extract` finds them."""
    config = ConfigParser()
    config.read(PROJECT_ROOT / "babel.cfg")
    method_map = [
        (section.split(":", 1)[1].strip(), section.split(":", 1)[0].strip())
        for section in config.sections()
    ]
    found = set()
    # N_ marks layer labels in layers/ (see layers.N_); _l is lazy_gettext.
    keywords = {**DEFAULT_KEYWORDS, "N_": None, "_l": None, "lazy_gettext": None}
    for _file, _line, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT, method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def messages():
    found = source_messages()
    assert "Legenda" in found  # the extraction itself works
    return found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_translates_every_message(messages, lang):
    with open(CATALOGUES / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle)
    missing = sorted(
        m
        for m in messages
        if m not in catalogue or not catalogue[m].string or catalogue[m].fuzzy
    )
    assert missing == [], f"{lang}: untranslated; run scripts/i18n.sh and translate"


def _key(value):
    """A message id or string; a plural's forms (a list in .mo files) as a tuple."""
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("lang", [*LANGUAGES, "pl"])
def test_compiled_catalogue_matches_its_source(lang):
    folder = CATALOGUES / lang / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as handle:
        # untranslated entries (most of pl, the source language) are not compiled
        source = {
            _key(m.id): _key(m.string)
            for m in read_po(handle)
            if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string)
        }
    with open(folder / "messages.mo", "rb") as handle:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(handle) if m.id}
    assert compiled == source, f"{lang}: run scripts/i18n.sh to recompile"


def test_polish_catalogue_gives_every_count_its_three_forms():
    """Polish is the source language, but its plurals need a catalogue.

    Without one, ``ngettext`` falls back to English rules and prints "2 obszarów";
    every plural message must carry one, few and many (1 obszar, 2 obszary,
    5 obszarów).
    """
    with open(CATALOGUES / "pl" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale="pl")
    plurals = [m for m in catalogue if m.id and m.pluralizable]
    assert plurals, "no plural message found: is ngettext extracted?"
    incomplete = [m.id[0] for m in plurals if len(m.string) != 3 or not all(m.string)]
    assert incomplete == [], "pl: give each count its three forms"
