"""Text shown to people, and text compared the way people read it.

Templates translate their own literals with ``_("…")``. Labels declared elsewhere in
code (layer specs, table headings, marked with ``N_``) are translated here, as plain
text that templates escape like any other value. Stored data (vocabulary labels,
names, titles) is never translated: it is shown as it is, escaped.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import LazyString, gettext


def translated(msgid: str) -> str:
    """A Polish source string declared in code, in the reader's language.

    Unlike ``_()`` in a template, whose output Jinja marks as safe markup, the result
    is plain text, so whatever it contains is escaped where it is shown.
    """
    return str(gettext(msgid))


def lazy_translated(msgid: str) -> LazyString:
    """:func:`translated`, evaluated when shown (for labels built at import time)."""
    return LazyString(translated, msgid)


def fold(text: str) -> str:
    """Compare names ignoring case, diacritics and spacing (Łąka == laka)."""
    text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-–.]+", " ", text).strip().casefold()
