"""What a finder URL asks for: parsing and checking its query parameters.

Pure functions: they take the request's arguments and what the city offers
(vocabulary keys, areas, known places) and return a :class:`Query` and a message per
parameter that could not be used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from layers import N_, PRECISIONS
from webgis.core.text import fold, translated
from webgis.core.text import lazy_text as _l
from webgis.features.kinds import WEEKDAYS
from webgis.geography.geocoding import PLACE_LEVELS, Located, matches_place

TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
#: Roughly Poland: points outside are typing mistakes (latitude and longitude swapped).
POLAND = (14.0, 49.0, 24.2, 55.0)
#: Filters that choose vocabulary terms: query parameter -> vocabulary.
VOCABULARY_FILTERS = {
    "type": "facility_type",
    "category": "category",
    "group": "target_group",
    "access": "accessibility",
}
#: Filters where choosing several means "any of them": a service has one type and one
#: area of life. Target groups and accessibility features must all hold.
ANY_OF = {"type", "category"}
#: Languages people ask for, with word stems that find them in a free-text field
#: written in Polish, English or Ukrainian (compared after :func:`fold`).
LANGUAGES = {
    "pl": (N_("polski"), ("polsk", "polish", "польськ")),
    "en": (N_("angielski"), ("angiel", "english", "англійськ")),
    "uk": (N_("ukraiński"), ("ukrain", "українськ", "украинск")),
    "ru": (N_("rosyjski"), ("rosyj", "russian", "російськ", "русск")),
    "de": (N_("niemiecki"), ("niemie", "german", "німецьк")),
    "pjm": (N_("polski język migowy"), ("migow", "pjm", "sign", "жестов")),
}


@dataclass(frozen=True)
class Query:
    """A resident's question, parsed and checked (see :func:`parse_query`)."""

    text: str = ""
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    area: str = ""
    language: str = ""
    open_now: bool = False
    day: str = ""
    time: str = ""
    #: A date (ISO), for "open at" on that day: public holidays and dated hours.
    date: str = ""
    lat: float | None = None
    lon: float | None = None
    place: str = ""
    #: What the typed place was found as ("Ludwika Rydygiera 43") and how exactly
    #: (address, street, unit); empty when it was not geocoded.
    found: str = ""
    precision: str = ""
    page: int = 1

    @property
    def origin(self) -> tuple[float, float] | None:
        """(lat, lon) distances are measured from, if any."""
        if self.lat is None or self.lon is None:
            return None
        return self.lat, self.lon

    @property
    def precision_label(self) -> str:
        """How exactly the typed place was found, in the reader's language."""
        label = dict(PRECISIONS).get(self.precision)
        return translated(label) if label else ""


@dataclass(frozen=True)
class Choices:
    """What a city's finder can filter by: vocabulary keys, areas, units."""

    vocabularies: Mapping[str, set[str]]
    areas: Mapping[str, BaseGeometry | None]  # "ZTPS-7" and "unit-4" -> geometry
    places: Mapping[str, Point] = field(default_factory=dict)  # folded name -> point
    #: Finds a service address (folded text, a level of :data:`PLACE_LEVELS`).
    addresses: Callable[[str, str], Point | None] | None = None
    #: Finds a typed address in the city's register, or a unit by name.
    geocode: Callable[[str], Located | None] | None = None
    #: (latitude, longitude) of the city's middle as text, for examples in messages.
    example: Callable[[], tuple[str, str]] = lambda: ("52.00", "19.10")


def parse_query(args: Mapping, choices: Choices) -> tuple[Query, dict[str, str]]:
    """The query a URL asks for, and a message per parameter that was not understood.

    A parameter that cannot be used is left out of the query (and reported), so a
    shared link with one stale value still shows results.
    """
    errors: dict[str, str] = {}
    terms = {}
    for name, vocabulary in VOCABULARY_FILTERS.items():
        wanted = tuple(v for v in _getlist(args, name) if v)
        unknown = [v for v in wanted if v not in choices.vocabularies.get(vocabulary)]
        if unknown:
            errors[name] = str(_unknown_value(unknown[0]))
        terms[name] = tuple(v for v in wanted if v not in unknown)
    query = Query(
        text=_get(args, "q")[:200],
        terms=terms,
        page=_page(_get(args, "page")),
        open_now=_get(args, "open") == "now",
    )
    area = _get(args, "area")
    if area and area not in choices.areas:
        errors["area"] = str(_unknown_value(area))
    elif area:
        query = replace(query, area=area)
    language = _get(args, "lang_spoken")
    if language and language not in LANGUAGES:
        errors["lang_spoken"] = str(_unknown_value(language))
    elif language:
        query = replace(query, language=language)
    query = _parse_when(args, query, errors)
    return _parse_place(args, query, choices, errors), errors


def _get(args: Mapping, name: str) -> str:
    return str(args.get(name) or "").strip()


def _getlist(args, name: str) -> list[str]:
    if hasattr(args, "getlist"):
        return [str(v).strip() for v in args.getlist(name)]
    value = args.get(name)
    return [str(v).strip() for v in (value if isinstance(value, list) else [value])]


def _page(text: str) -> int:
    return positive_number(text, 9_999) or 1


def positive_number(text: str, highest: int) -> int | None:
    """``text`` as a whole number from 1 to ``highest``; None for anything else.

    Only ASCII digits count ("²".isdigit() is true, yet int("²") fails), and the length
    is checked first: int() refuses thousands of digits.
    """
    if len(text) > len(str(highest)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= highest else None


def _unknown_value(value: str):
    return _l("Nieznana wartość filtra: „%(value)s”; pominięto ją.", value=value)


def _parse_when(args: Mapping, query: Query, errors: dict) -> Query:
    day, time = _get(args, "day"), _get(args, "time")
    if day and day not in WEEKDAYS:
        errors["day"] = str(_unknown_value(day))
        day = ""
    match = TIME.match(time) if time else None
    if time and not match:
        errors["time"] = str(_l("Podaj godzinę jak 14:30."))
        time = ""
    elif match:
        time = f"{int(match.group(1)):02d}:{match.group(2)}"
    return replace(query, day=day, time=time, date=_parse_date(args, errors))


def _parse_date(args: Mapping, errors: dict) -> str:
    """The chosen date (YYYY-MM-DD, 2000–2100), or "" with an error."""
    text = _get(args, "date")
    if not text:
        return ""
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        chosen = None
    if chosen is None or not 2000 <= chosen.year <= 2100 or len(text) != 10:
        errors["date"] = str(_l("Podaj datę jak 2026-12-24."))
        return ""
    return chosen.isoformat()


def _parse_place(args: Mapping, query: Query, choices: Choices, errors) -> Query:
    lat, lon, place = _get(args, "lat"), _get(args, "lon"), _get(args, "from")
    if lat or lon:
        try:
            latitude, longitude = float(lat), float(lon)
        except ValueError:
            example_lat, example_lon = choices.example()
            errors["lat"] = str(
                _l(
                    "Podaj szerokość i długość geograficzną jako liczby, "
                    "np. %(lat)s i %(lon)s.",
                    lat=example_lat,
                    lon=example_lon,
                )
            )
            return query
        west, south, east, north = POLAND
        if not (south <= latitude <= north and west <= longitude <= east):
            errors["lat"] = str(_l("Ten punkt leży poza Polską."))
            return query
        return replace(query, lat=latitude, lon=longitude)
    if not place:
        return query
    place = place[:100]
    located = choices.geocode(place) if choices.geocode else None
    if located is not None:
        return replace(
            query,
            place=place,
            lat=located.lat,
            lon=located.lon,
            found=located.label,
            precision=located.precision,
        )
    point = find_place(place, choices.places, choices.addresses)
    if point is None:
        errors["from"] = str(
            _l(
                "Nie znaleziono miejsca „%(place)s”. Wpisz adres (ulicę i numer), "
                "nazwę osiedla lub dzielnicy.",
                place=place,
            )
        )
        return replace(query, place=place)
    return replace(query, place=place, lat=point.y, lon=point.x)


def find_place(
    text: str,
    places: Mapping[str, Point],
    addresses: Callable[[str, str], Point | None] | None = None,
) -> Point | None:
    """The known place a typed name means: exact, then the start, then any part.

    ``places`` maps folded names (units) to points; ``addresses`` looks up service
    addresses at one level, after the units of that level (the shortest match wins
    within each). The finder asks it after the address register
    (:attr:`Choices.geocode`), so a city without a register still finds its
    services' streets.
    """
    wanted = fold(text)
    if not wanted:
        return None
    for level in PLACE_LEVELS:
        found = [name for name in places if matches_place(name, wanted, level)]
        if found:
            return places[min(found, key=len)]
        point = addresses(wanted, level) if addresses else None
        if point is not None:
            return point
    return None
