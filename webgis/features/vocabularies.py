"""Controlled vocabularies (categories, target groups, facility types, ...) in pl/en/uk.

Seeded from ``data/vocabularies.toml``; administrators then edit labels and add terms.
Terms are never deleted (features keep referring to their keys), only deactivated.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from flask_babel import get_locale
from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from webgis.core import audit
from webgis.core.errors import NotFound, WebgisError
from webgis.core.extensions import db
from webgis.core.paths import resource_dir
from webgis.core.text import lazy_text as _l

VOCABULARIES = {
    "category": _l("Obszary życia (kategorie)"),
    "target_group": _l("Grupy docelowe"),
    "facility_type": _l("Typy placówek"),
    "partner_sector": _l("Sektory partnerów"),
    "pal_instrument": _l("Instrumenty PAL"),
    "community_action": _l("Działania środowiskowe"),
    "accessibility": _l("Dostępność"),
    "need_source": _l("Źródła informacji o potrzebach"),
}
LANGUAGES = ("pl", "en", "uk")
KEY = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


class VocabularyTerm(db.Model):
    """One term of one vocabulary, with its label in each interface language."""

    __tablename__ = "vocabulary_terms"
    __table_args__ = (UniqueConstraint("vocabulary", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(60))
    label_pl: Mapped[str] = mapped_column(String(200))
    label_en: Mapped[str] = mapped_column(String(200))
    label_uk: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    # The labels data/vocabularies.toml gave when they last reached the database:
    # a label that differs from them was edited by an administrator. NULL: not
    # known (terms from before this was kept).
    file_label_pl: Mapped[str | None] = mapped_column(String(200))
    file_label_en: Mapped[str | None] = mapped_column(String(200))
    file_label_uk: Mapped[str | None] = mapped_column(String(200))

    @property
    def label(self) -> str:
        """The label in the reader's language (Polish outside a request)."""
        lang = str(get_locale() or "pl")
        return getattr(self, f"label_{lang}", None) or self.label_pl


def _file_terms() -> dict[tuple[str, str], tuple[int, dict[str, str]]]:
    """(vocabulary, key) -> (position, labels by language) from the project's file."""
    with (resource_dir("data") / "vocabularies.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return {
        (vocabulary, entry["key"]): (
            position,
            {lang: entry[lang] for lang in LANGUAGES},
        )
        for vocabulary, entries in data.items()
        for position, entry in enumerate(entries)
    }


def seed() -> int:
    """Fill a new database's vocabularies from the file; returns how many terms.

    A database that has terms already is left alone: :func:`file_changes` and
    :func:`apply_file` bring the file's changes to it, showing them first.
    """
    if db.session.scalar(select(VocabularyTerm.id).limit(1)) is not None:
        return 0
    return len(apply_file(audited=False))


@dataclass(frozen=True)
class FileChange:
    """One difference between data/vocabularies.toml and the database.

    ``kind`` is "new" (a term the database lacks), "label" (the file changed a
    label nobody edited here) or "edited" (an administrator's label differs
    from the file's new one, or it is not known whether it was edited: kept
    unless asked to overwrite).
    """

    vocabulary: str
    key: str
    kind: str
    language: str = ""
    database: str = ""
    file: str = ""

    def describe(self) -> str:
        """One line for the terminal (Polish, as the rest of the CLI)."""
        name = f"{self.vocabulary}/{self.key}"
        if self.kind == "new":
            return f"+ {name}: nowe pojęcie „{self.file}”"
        if self.kind == "label":
            return f"~ {name} [{self.language}]: „{self.database}” → „{self.file}”"
        return (
            f"! {name} [{self.language}]: w bazie „{self.database}” (zmienione przez "
            f"administratora albo nieznanego pochodzenia) zostaje; plik podaje "
            f"„{self.file}” (--overwrite {name} przyjmuje wersję z pliku)"
        )


def file_changes() -> list[FileChange]:
    """What data/vocabularies.toml would change in the database, term by term."""
    stored = {
        (t.vocabulary, t.key): t for t in db.session.scalars(select(VocabularyTerm))
    }
    changes = []
    for (vocabulary, key), (_position, labels) in _file_terms().items():
        term = stored.get((vocabulary, key))
        if term is None:
            changes.append(FileChange(vocabulary, key, "new", file=labels["pl"]))
            continue
        for lang, label in labels.items():
            kind = _label_change(term, lang, label)
            if kind:
                current = getattr(term, f"label_{lang}")
                changes.append(FileChange(vocabulary, key, kind, lang, current, label))
    return changes


def _label_change(term: VocabularyTerm, lang: str, label: str) -> str:
    current, known = getattr(term, f"label_{lang}"), getattr(term, f"file_label_{lang}")
    if current == label or known == label:
        return ""  # the same, or the file is unchanged and an edit here stands
    return "label" if current == known else "edited"


def apply_file(
    overwrite: set[tuple[str, str]] = frozenset(),
    keep: set[tuple[str, str]] = frozenset(),
    audited: bool = True,
) -> list[FileChange]:
    """Bring data/vocabularies.toml to the database; returns what changed.

    New terms are added and labels nobody edited here follow the file. An
    administrator's label is replaced only for the (vocabulary, key) pairs in
    ``overwrite``; for those in ``keep`` it stays and the file's label counts
    as seen, so it is not reported again. Each change goes to the audit log.
    """
    changes = file_changes()
    applied = [
        c for c in changes if c.kind != "edited" or (c.vocabulary, c.key) in overwrite
    ]
    file_terms = _file_terms()
    stored = {
        (t.vocabulary, t.key): t for t in db.session.scalars(select(VocabularyTerm))
    }
    for change in applied:
        position, labels = file_terms[(change.vocabulary, change.key)]
        term = stored.get((change.vocabulary, change.key))
        if term is None:
            term = VocabularyTerm(
                vocabulary=change.vocabulary, key=change.key, position=position
            )
            for lang in LANGUAGES:
                setattr(term, f"label_{lang}", labels[lang])
            db.session.add(term)
            stored[(change.vocabulary, change.key)] = term
        else:
            setattr(term, f"label_{change.language}", change.file)
        if audited:
            target = f"{change.vocabulary}:{change.key}"
            audit.record("vocabulary.file", target, change.describe())
    # Remember what the file says, so a later edit here is told from a change there.
    for (vocabulary, key), (_position, labels) in file_terms.items():
        term = stored[(vocabulary, key)]  # every file term is stored by now
        for lang, label in labels.items():
            if (vocabulary, key) in keep or getattr(term, f"label_{lang}") == label:
                setattr(term, f"file_label_{lang}", label)
    db.session.commit()
    return applied


def terms(vocabulary: str, include_inactive: bool = False) -> list[VocabularyTerm]:
    """The terms of one vocabulary in their order."""
    query = select(VocabularyTerm).where(VocabularyTerm.vocabulary == vocabulary)
    if not include_inactive:
        query = query.where(VocabularyTerm.active.is_(True))
    return list(db.session.scalars(query.order_by(VocabularyTerm.position)))


def active_terms(vocabularies: list[str]) -> dict[str, list[VocabularyTerm]]:
    """The offered terms of several vocabularies, each in its order, in one query."""
    found: dict[str, list[VocabularyTerm]] = {v: [] for v in vocabularies}
    query = select(VocabularyTerm).where(
        VocabularyTerm.vocabulary.in_(vocabularies), VocabularyTerm.active.is_(True)
    )
    for term in db.session.scalars(query.order_by(VocabularyTerm.position)):
        found[term.vocabulary].append(term)
    return found


def _check_labels(labels: dict[str, str]) -> dict[str, str]:
    cleaned = {lang: (labels.get(lang) or "").strip() for lang in LANGUAGES}
    missing = [lang for lang, text in cleaned.items() if not text]
    if missing:
        raise WebgisError(
            _l("Brak etykiety w językach: %(langs)s.", langs=", ".join(missing))
        )
    return cleaned


def update_term(term_id: int, labels: dict[str, str], active: bool) -> VocabularyTerm:
    """Change a term's labels and whether it is offered; recorded in the audit log."""
    term = db.session.get(VocabularyTerm, term_id)
    if term is None:
        raise NotFound(_l("Nie ma takiego pojęcia."))
    cleaned = _check_labels(labels)
    for lang, text in cleaned.items():
        setattr(term, f"label_{lang}", text)
    term.active = active
    audit.record("vocabulary.update", f"{term.vocabulary}:{term.key}", cleaned["pl"])
    db.session.commit()
    return term


def add_term(vocabulary: str, key: str, labels: dict[str, str]) -> VocabularyTerm:
    """Add a term at the end of a vocabulary; recorded in the audit log."""
    if vocabulary not in VOCABULARIES:
        raise NotFound(_l("Nie ma słownika %(name)s.", name=vocabulary))
    if not KEY.match(key or ""):
        raise WebgisError(
            _l(
                "Klucz musi składać się z małych liter, cyfr i podkreśleń (np. %(k)s).",
                k="mental_health",
            )
        )
    cleaned = _check_labels(labels)
    if any(t.key == key for t in terms(vocabulary, include_inactive=True)):
        raise WebgisError(_l("Klucz %(key)s już istnieje w tym słowniku.", key=key))
    term = VocabularyTerm(
        vocabulary=vocabulary,
        key=key,
        position=len(terms(vocabulary, include_inactive=True)),
        **{f"label_{lang}": text for lang, text in cleaned.items()},
    )
    db.session.add(term)
    audit.record("vocabulary.add", f"{vocabulary}:{key}", cleaned["pl"])
    db.session.commit()
    return term
