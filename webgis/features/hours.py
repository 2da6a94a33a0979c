"""Opening hours in OpenStreetMap's ``opening_hours`` syntax, read by a kept parser.

A field of kind "hours" stores one expression such as ``Mo-Fr 08:00-16:00; PH off``
(see https://wiki.openstreetmap.org/wiki/Key:opening_hours). Parsing and evaluation
are the ``opening_hours`` library's (``opening_hours_py``), which knows overnight
ranges, comments and Poland's public holidays; times are Warsaw's. What is here:

- :func:`normalise` accepts what people write (``8.00``, ``15.00–18.00``,
  ``pn-pt``, „typographic quotes”, a comment alone) and stores the library's
  normal form, or raises :class:`HoursError` saying what is wrong;
- :func:`from_days` writes the expression of the per-day editor's rows (and of the
  structured hours stored before the syntax);
- :func:`week_index` is the finder's weekly index (one character per hour of an
  ordinary week, or of a week of holidays);
- :func:`describe` says the hours in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from opening_hours import OpeningHours, ParserError, State

from webgis.core.text import lazy_text as _l

WARSAW = ZoneInfo("Europe/Warsaw")
COUNTRY = "PL"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
SHORT_DAYS = (
    _l("pon."),
    _l("wt."),
    _l("śr."),
    _l("czw."),
    _l("pt."),
    _l("sob."),
    _l("niedz."),
)
#: A week with no public holiday and no change of clock: the "ordinary week".
ORDINARY_MONDAY = date(2026, 3, 9)
#: What :func:`week_index` writes for an hour: open all of it, part of it, closed,
#: or "ask the expression" (it depends on the date, not only on the weekday).
OPEN, PART, CLOSED, DATED = "1", "p", "0", "?"
EXAMPLE = "Mo-Fr 08:00-16:00; Sa 10:00-13:00; PH off"

# -- what people write ----------------------------------------------------------------

QUOTED = re.compile(r'("[^"]*")')
QUOTES = str.maketrans({"„": '"', "”": '"', "“": '"', "«": '"', "»": '"'})
DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‒": "-"})
#: 8.00, 8:00, 08.00 → 08:00 (not part of a longer number or time).
LOOSE_TIME = re.compile(r"(?<![\d:.])(\d{1,2})[.:](\d{2})(?![\d:.])")
SPACED_RANGE = re.compile(r"(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})")
#: "Mo-Fr: 08:00" — a colon after the days.
DAY_COLON = re.compile(r"\b(Mo|Tu|We|Th|Fr|Sa|Su|PH)\s*:\s*(?=\d)", re.I)
#: Polish abbreviations of weekdays, as offices write them ("pn.-pt.", "sob.").
POLISH_DAYS = {
    "pon": "Mo",
    "pn": "Mo",
    "wt": "Tu",
    "śr": "We",
    "sr": "We",
    "czw": "Th",
    "cz": "Th",
    "pt": "Fr",
    "sob": "Sa",
    "sb": "Sa",
    "niedz": "Su",
    "ndz": "Su",
    "nd": "Su",
}
POLISH_DAY = re.compile(
    r"(?<![\w])("
    + "|".join(sorted(POLISH_DAYS, key=len, reverse=True))
    + r")\.?(?!\w)",
    re.I,
)
WORDS = {
    "całodobowo": "24/7",
    "calodobowo": "24/7",
    "nieczynne": "off",
    "zamknięte": "off",
    "zamkniete": "off",
}
WORD = re.compile(r"(?<![\w])(" + "|".join(WORDS) + r")(?!\w)", re.I)
COMMENT_ONLY = re.compile(r'^"[^"]*"$')
#: Selectors that make hours depend on the date, not on the weekday alone (outside
#: comments): months, years, week numbers, Easter, school holidays, sun times,
#: the n-th weekday of a month, offsets in days.
DATED_WORDS = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|week|easter|SH|sunrise|"
    r"sunset|dawn|dusk|days?)\b|\b\d{4}\b|\[",
    re.I,
)
POSITION = re.compile(r"-->\s*(\d+):(\d+)")


class HoursError(ValueError):
    """Opening hours that cannot be read; the message says what to write."""


def _outside_comments(text: str, change) -> str:
    """``text`` with ``change`` applied to what is not a quoted comment."""
    parts = QUOTED.split(text)
    return "".join(p if p.startswith('"') else change(p) for p in parts)


def _tidy(text: str) -> str:
    text = text.translate(DASHES)
    text = LOOSE_TIME.sub(lambda m: f"{int(m.group(1)):02d}:{m.group(2)}", text)
    text = SPACED_RANGE.sub(r"\1-\2", text)
    text = POLISH_DAY.sub(lambda m: POLISH_DAYS[m.group(1).lower()], text)
    text = WORD.sub(lambda m: WORDS[m.group(1).lower()], text)
    text = DAY_COLON.sub(lambda m: m.group(1) + " ", text)
    return re.sub(r"\s+", " ", text)


def lenient(text: str) -> str:
    """``text`` with the usual variants written the way the syntax wants them.

    Comments (in quotes) are kept as written. A comment standing alone as a rule
    would, by the syntax, mean "open at all times": it becomes the comment of the
    rules with hours ("by appointment" of those hours), or, with no other rule,
    a comment of unknown hours.
    """
    text = _outside_comments(str(text or "").translate(QUOTES), _tidy).strip()
    rules = [r.strip() for r in _split_rules(text) if r.strip()]
    comments = [r for r in rules if COMMENT_ONLY.match(r)]
    rules = [r for r in rules if not COMMENT_ONLY.match(r)]
    if not comments:
        return "; ".join(rules)
    if not rules:
        return f"unknown {comments[0]}"
    note = " ".join(comments)
    return "; ".join(
        r if r.endswith('"') or re.search(r"\b(off|closed)$", r) else f"{r} {note}"
        for r in rules
    )


def _split_rules(text: str) -> list[str]:
    """The rules of an expression: split on ";" outside comments."""
    rules, current, quoted = [], [], False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == ";" and not quoted:
            rules.append("".join(current))
            current = []
        else:
            current.append(char)
    rules.append("".join(current))
    return rules


@lru_cache(maxsize=8192)
def parsed(expression: str) -> OpeningHours:
    """The library's reading of an expression, in Warsaw with Polish holidays."""
    return OpeningHours(expression, timezone=WARSAW, country=COUNTRY)


def normalise(text: str) -> str:
    """The normal form of what was written, "" for nothing, or :class:`HoursError`."""
    cleaned = lenient(text)
    if not cleaned:
        return ""
    try:
        return str(parsed(cleaned).normalize())
    except (ParserError, SyntaxError, ValueError) as problem:
        raise HoursError(_problem(cleaned, str(problem))) from None


def _problem(cleaned: str, detail: str) -> str:
    """A message that says where the expression stops making sense."""
    found = POSITION.search(detail)
    if found:
        column = int(found.group(2))
        return str(
            _l(
                "nie rozumiem zapisu od znaku %(n)s („%(rest)s” w „%(text)s”). "
                "Zapisz np. „%(example)s”.",
                n=column,
                rest=cleaned[column - 1 :][:20],
                text=cleaned,
                example=EXAMPLE,
            )
        )
    return str(
        _l(
            "nie rozumiem zapisu „%(text)s”. Zapisz np. „%(example)s”.",
            text=cleaned,
            example=EXAMPLE,
        )
    )


def expression(value) -> str:
    """The expression of a stored value; structured hours of old are converted."""
    if isinstance(value, Mapping):
        return from_days(value)
    return str(value or "").strip()


# -- the per-day editor ---------------------------------------------------------------

ROW = re.compile(r"^\d{2}:\d{2}-\d{2}:\d{2}(,\d{2}:\d{2}-\d{2}:\d{2})*$")


def row_text(text: str) -> str:
    """One day's row ("8.00-12.00, 13:00–16:00") as the syntax writes it.

    Raises :class:`HoursError` when it is not a list of times.
    """
    row = re.sub(r"\s*,\s*", ",", _tidy(str(text or "")).strip())
    if not row:
        return ""
    if not ROW.match(row):
        raise HoursError(_l("Zapisz godziny jak 08:00-16:00, 17:00-19:00."))
    try:
        parsed(f"Mo {row}")
    except (ParserError, SyntaxError, ValueError):
        raise HoursError(_l("Zapisz godziny jak 08:00-16:00, 17:00-19:00.")) from None
    return ",".join(sorted(row.split(",")))


def from_rows(rows: Mapping[str, str], closed_on_holidays=False, comment="") -> str:
    """The expression of the editor's rows (weekday key → "08:00-16:00, …").

    Days with the same hours are joined into ranges (``Mo-Fr``); the library's
    normal form follows. Rows must be clean (:func:`row_text`).
    """
    groups: list[tuple[list[str], str]] = []
    for index, day in enumerate(WEEKDAYS):
        row = rows.get(day) or ""
        if groups and groups[-1][1] == row and groups[-1][0][-1] == OSM_DAYS[index - 1]:
            groups[-1][0].append(OSM_DAYS[index])
        else:
            groups.append(([OSM_DAYS[index]], row))
    note = f' "{comment.replace(chr(34), chr(39))}"' if comment.strip() else ""
    rules = [
        f"{days[0] if len(days) == 1 else days[0] + '-' + days[-1]} {row}{note}"
        for days, row in groups
        if row
    ]
    if closed_on_holidays and rules:
        rules.append("PH off")
    if not rules and note:
        rules.append(f"unknown{note}")
    return normalise("; ".join(rules)) if rules else ""


def from_days(days: Mapping) -> str:
    """The expression of structured hours ``{"mon": [["08:00", "16:00"]], …}``."""
    rows = {
        day: ",".join(f"{start}-{end}" for start, end in days.get(day) or [])
        for day in WEEKDAYS
    }
    return from_rows({day: row_text(text) for day, text in rows.items()})


def editor(expr: str) -> tuple[dict[str, str], bool, str, bool]:
    """What the per-day editor shows of an expression.

    (rows by weekday, closed on public holidays, comment, whether the editor
    shows all of it: an expression with dates or other holiday hours is more
    than rows can say, and editing the rows replaces it).
    """
    if not expr:
        return dict.fromkeys(WEEKDAYS, ""), False, "", True
    week = merged(ordinary_week(expr))
    rows = {
        day: ",".join(f"{_hhmm(s)}-{_hhmm(e)}" for s, e in spans)
        for day, spans in zip(WEEKDAYS, week, strict=True)
    }
    closed = holidays_closed(expr)
    comments = comments_of(expr)
    comment = comments[0] if len(comments) == 1 else ""
    try:
        again = from_rows(rows, closed, comment)
    except ValueError:
        again = ""
    return rows, closed, comment, again == expr


# -- evaluation -----------------------------------------------------------------------


def _start(day: date) -> datetime:
    return datetime.combine(day, time(0), WARSAW)


def is_open(expr: str, moment: datetime) -> bool:
    """Whether the place is open at ``moment`` (Warsaw time if naive)."""
    if not expr:
        return False
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=WARSAW)
    return parsed(expr).state(moment)[0] == State.OPEN


def day_spans(expr: str, day: date) -> list[tuple[int, int, str]]:
    """(start minute, end minute, comment) of the open intervals of one date."""
    if not expr:
        return []
    found = []
    start = _start(day)
    for begin, end, state, comment in parsed(expr).intervals(
        start, _start(day + timedelta(days=1))
    ):
        if state == State.OPEN:
            first = begin.hour * 60 + begin.minute if begin.date() == day else 0
            last = end.hour * 60 + end.minute if end.date() == day else 24 * 60
            if last > first:
                found.append((first, last, comment))
    return found


def open_on(expr: str, day: date) -> bool:
    """Whether the place is open at some time on ``day``."""
    return bool(day_spans(expr, day))


@lru_cache(maxsize=64)
def is_holiday(day: date) -> bool:
    """Whether ``day`` is a public holiday in Poland."""
    return parsed("PH").is_open(datetime.combine(day, time(12), WARSAW))


@lru_cache(maxsize=1)
def holiday_dates() -> tuple[date, ...]:
    """A public holiday on each weekday, Monday first, the day before not a holiday.

    A week of these is what the finder's holiday index describes.
    """
    found: dict[int, date] = {}
    day = date(2026, 1, 1)
    while len(found) < 7:
        if is_holiday(day) and not is_holiday(day - timedelta(days=1)):
            found.setdefault(day.weekday(), day)
        day += timedelta(days=1)
    return tuple(found[weekday] for weekday in range(7))


def is_dated(expr: str) -> bool:
    """Whether the hours depend on the date, not only on the weekday and holidays."""
    return bool(DATED_WORDS.search(QUOTED.sub("", expr)))


def ordinary_week(expr: str) -> list[list[tuple[int, int]]]:
    """Open (start, end) minutes of each day of the ordinary week, Monday first."""
    return [
        [(s, e) for s, e, _c in day_spans(expr, ORDINARY_MONDAY + timedelta(days=d))]
        for d in range(7)
    ]


def holiday_week(expr: str) -> list[list[tuple[int, int]]]:
    """Open (start, end) minutes of a public holiday on each weekday."""
    return [[(s, e) for s, e, _c in day_spans(expr, day)] for day in holiday_dates()]


def week_index(expr: str, holidays: bool = False) -> str:
    """The week's 168 hours, Monday 0:00 first: open, partly open or closed.

    Of an ordinary week, or (``holidays``) of a week whose every day is a public
    holiday. Hours that depend on the date are all :data:`DATED`: the finder then
    asks the expression itself. Empty without hours.
    """
    if not expr:
        return ""
    if is_dated(expr):
        return DATED * 168
    week = holiday_week(expr) if holidays else ordinary_week(expr)
    slots = []
    for spans in week:
        for hour in range(24):
            low, high = hour * 60, hour * 60 + 60
            inside = sum(max(0, min(e, high) - max(s, low)) for s, e in spans)
            slots.append(OPEN if inside >= 60 else PART if inside else CLOSED)
    return "".join(slots)


def open_days(expr: str) -> list[str]:
    """The weekdays (keys) with some opening hours in the ordinary week."""
    if not expr:
        return []
    if is_dated(expr):
        return list(WEEKDAYS)
    return [
        day for day, spans in zip(WEEKDAYS, ordinary_week(expr), strict=True) if spans
    ]


def holidays_closed(expr: str) -> bool:
    """Whether public holidays close what is open on ordinary days."""
    return bool(expr) and not any(holiday_week(expr)) and any(ordinary_week(expr))


def comments_of(expr: str) -> list[str]:
    """The expression's comments ("po wcześniejszym umówieniu"), each once."""
    found: list[str] = []
    if not expr:
        return found
    days = [ORDINARY_MONDAY + timedelta(days=d) for d in range(7)]
    for day in [*days, *holiday_dates()]:
        for _begin, _end, _state, comment in parsed(expr).intervals(
            _start(day), _start(day + timedelta(days=1))
        ):
            if comment and comment not in found:
                found.append(comment)
    return found


def merged(week: list[list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    """The week with a night that runs past midnight written on the day it starts.

    ``Fr 22:00-24:00`` and ``Sa 00:00-06:00`` become ``Fr 22:00-06:00`` (an end of
    06:00 below the start), as people and schema.org write it.
    """
    days = [list(spans) for spans in week]
    for d in range(7):
        after = days[(d + 1) % 7]
        if (
            days[d]
            and days[d][-1][1] == 1440
            and days[d][-1][0] > 0
            and after
            and after[0][0] == 0
            and after[0][1] < 1440
        ):
            start = days[d][-1][0]
            days[d][-1] = (start, after.pop(0)[1])
    return days


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def clock(minute: int) -> str:
    """A minute of the day as people write it: 8:00, 16:30, 24:00."""
    return f"{minute // 60}:{minute % 60:02d}"


# -- in words -------------------------------------------------------------------------


def spans_text(spans) -> str:
    """Intervals as people write them: "8:00–12:00, 13:00–16:00"."""
    return ", ".join(f"{clock(s)}–{clock(e)}" for s, e, *_ in spans)


def describe(expr: str) -> str:
    """The hours in the reader's language.

    E.g. "pon.–pt. 8:00–16:00; w święta zamknięte; po wcześniejszym umówieniu".
    """
    if not expr:
        return ""
    week = merged(ordinary_week(expr))
    parts = []
    if all(spans == [(0, 1440)] for spans in week):
        parts.append(str(_l("całodobowo")))
    else:
        parts += _grouped(week)
    holiday = holiday_week(expr)
    if holiday != ordinary_week(expr):
        if not any(holiday):
            parts.append(str(_l("w święta zamknięte")))
        elif all(spans == holiday[0] for spans in holiday):
            parts.append(str(_l("w święta %(hours)s", hours=spans_text(holiday[0]))))
        else:
            parts.append(str(_l("w święta inaczej")))
    parts += comments_of(expr)
    if is_dated(expr):
        parts.append(str(_l("w niektóre dni inaczej: %(expr)s", expr=expr)))
    return "; ".join(parts) or str(_l("zamknięte"))


def _grouped(week) -> list[str]:
    groups: list[tuple[int, int, str]] = []
    for d, spans in enumerate(week):
        text = spans_text(spans)
        if groups and groups[-1][2] == text and groups[-1][1] == d - 1:
            groups[-1] = (groups[-1][0], d, text)
        else:
            groups.append((d, d, text))
    return [
        (
            f"{SHORT_DAYS[first]} {text}"
            if first == last
            else f"{SHORT_DAYS[first]}–{SHORT_DAYS[last]} {text}"
        )
        for first, last, text in groups
        if text
    ]


def today_text(expr: str, day: date) -> str:
    """The hours of one date ("8:00–16:00"), "" when closed all day."""
    return spans_text(day_spans(expr, day))
