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
from markupsafe import escape


def translated(msgid: str) -> str:
    """A Polish source string declared in code, in the reader's language.

    Unlike ``_()`` in a template, whose output Jinja marks as safe markup, the result
    is plain text, so whatever it contains is escaped where it is shown.
    """
    return str(gettext(msgid))


class LazyText(LazyString):
    """A translation made when it is shown, escaped there like any other text.

    flask_babel's ``LazyString`` tells Jinja it is already markup (``__html__``), so
    a message such as "the file has no sheet %(name)s" would carry the sheet name
    from an uploaded workbook into the page as HTML.
    """

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_text(string: str, **variables) -> LazyText:
    """``lazy_gettext`` whose result is escaped where shown; imported as ``_l``."""
    return LazyText(gettext, string, **variables)


def lazy_translated(msgid: str) -> LazyText:
    """:func:`translated`, evaluated when shown (for labels built at import time)."""
    return LazyText(translated, msgid)


def fold(text: str) -> str:
    """Compare names ignoring case, diacritics and spacing (Łąka == laka)."""
    text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[\s\-–.]+", " ", text).strip().casefold()
