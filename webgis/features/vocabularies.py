"""Controlled vocabularies (categories, target groups, facility types, ...) in pl/en/uk.

Seeded from ``data/vocabularies.toml``; administrators then edit labels and add terms.
Terms are never deleted (features keep referring to their keys), only deactivated.
"""

from __future__ import annotations

import re
import tomllib

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

    @property
    def label(self) -> str:
        """The label in the reader's language (Polish outside a request)."""
        lang = str(get_locale() or "pl")
        return getattr(self, f"label_{lang}", None) or self.label_pl


def seed() -> int:
    """Add the terms of ``data/vocabularies.toml`` that are missing; returns how many.

    Existing terms are left alone so administrators' edits survive a re-run.
    """
    with (resource_dir("data") / "vocabularies.toml").open("rb") as handle:
        data = tomllib.load(handle)
    existing = {
        (t.vocabulary, t.key) for t in db.session.scalars(select(VocabularyTerm))
    }
    added = 0
    for vocabulary, entries in data.items():
        for position, entry in enumerate(entries):
            if (vocabulary, entry["key"]) in existing:
                continue
            db.session.add(
                VocabularyTerm(
                    vocabulary=vocabulary,
                    key=entry["key"],
                    position=position,
                    **{f"label_{lang}": entry[lang] for lang in LANGUAGES},
                )
            )
            added += 1
    db.session.commit()
    return added


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
