"""Where a typed address is, and which address a point is at: offline.

The city's address register (:mod:`webgis.geography.addresses`) answers "ul.
Rydygiera 43", "Rydygiera 43", "43 Rydygiera" and "rydygiera 43a" alike: case,
Polish letters and the street's kind ("ul.", "al.", "pl.", "os.") do not matter,
and neither does one typing mistake in the street's name ("Rydygira 43"). A
number the register lacks falls back to the street's middle (precision
"street"), and a name that is no street to the city's units (precision "unit").
The finder's "from", the forms' address field and the bulk import all ask
:func:`geocode`; a point clicked on a form asks :func:`reverse`.

Everything but :func:`geocode`, :func:`reverse` and the unit lookup is pure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import OSA
from shapely.geometry import Point

from webgis.core.text import fold
from webgis.geography import addresses, cities
from webgis.geography.boundaries import metric_transformer
from webgis.geography.models import City

#: How exactly a place is known, best first (the features' ``location_precision``).
PRECISIONS = ("address", "street", "unit")
#: A point clicked on a form is offered the nearest address at most this far away.
REVERSE_METRES = 250.0
#: Shorter names are too alike for a typing mistake to say which one was meant.
TYPO_MIN_LENGTH = 5
#: The words a street's kind is written with, and the one word kept for each;
#: "ul." is what a street is unless it says otherwise, so it is dropped. The kind
#: is kept, not dropped: Wrocław has both ul. and pl. Kościuszki.
KINDS = {
    "ul": "",
    "ulica": "",
    "al": "aleja",
    "aleja": "aleja",
    "aleje": "aleje",
    "pl": "plac",
    "plac": "plac",
    "os": "osiedle",
    "osiedle": "osiedle",
    "rondo": "rondo",
    "skwer": "skwer",
    "bulw": "bulwar",
    "bulwar": "bulwar",
}
KIND_WORDS = frozenset(k for k in KINDS.values() if k)
#: Polish postcodes, left out of a typed address ("50-249").
POSTCODE = re.compile(r"\b\d{2}\s*-\s*\d{3}\b")
#: House numbers: 43, 43a, 43ab, 12/14, 5a/2.
HOUSE_NUMBER = re.compile(r"\d+[a-z]{0,3}(?:/\d+[a-z]{0,2})?")
WORDS = re.compile(r"[^\W_]+(?:/[^\W_]+)?")
ROMAN = re.compile(r"[ivxlc]+")
#: How a typed place name may match a unit's name, best first.
PLACE_LEVELS = ("equal", "start", "part")


@dataclass(frozen=True)
class Located:
    """Where a typed address or a clicked point is, and how exactly.

    ``label`` is what was found as the register or the unit writes it ("Ludwika
    Rydygiera 43A", "Ludwika Rydygiera", "Nadodrze"); ``distance`` (metres) is how
    far a clicked point is from the address :func:`reverse` found.
    """

    lon: float
    lat: float
    precision: str
    label: str
    postcode: str = ""
    distance: float | None = None

    @property
    def point(self) -> Point:
        """The place as a shapely point (EPSG:4326)."""
        return Point(self.lon, self.lat)


@dataclass(frozen=True)
class Reading:
    """One way to read a typed address: a street (folded) and a number ("" if none).

    ``unkind`` readings leave out the kind the person typed ("al. Armii Krajowej"
    is also "armii krajowej"), for a register that does not write it.
    """

    street: str
    number: str = ""
    unkind: bool = False


# -- keys: how names and numbers are compared (pure) ---------------------------------


def plain(text: str) -> str:
    """Lower case without diacritics (Łąka → laka); punctuation stays."""
    text = unicodedata.normalize("NFKD", str(text).replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def street_key(text: str) -> str:
    """A street's name as compared: folded words, its kind as one word.

    >>> street_key("ul. Ludwika Rydygiera"), street_key("Pl. Grunwaldzki")
    ('ludwika rydygiera', 'plac grunwaldzki')
    """
    words = re.findall(r"[^\W_]+", plain(text))
    if len(words) > 1 and words[0] in KINDS:
        kind = KINDS[words[0]]
        words = ([kind] if kind else []) + words[1:]
    return " ".join(words)


def number_key(text: str) -> str:
    """A house number as compared: "43 A" and "43a" alike."""
    return re.sub(r"\s+", "", plain(text))


def street_names(key: str) -> list[str]:
    """The names a street (its :func:`street_key`) may be typed by.

    Its full name and its last words, with and without its kind: "ludwika
    rydygiera" is also "rydygiera"; "plac tadeusza kosciuszki" also "tadeusza
    kosciuszki", "plac kosciuszki" and "kosciuszki". Last words too short or only
    numerals ("ii" of "jana pawla ii") name nothing alone.
    """
    words = key.split()
    kind = words[0] if len(words) > 1 and words[0] in KIND_WORDS else ""
    rest = words[1:] if kind else words
    names = [key]
    for start in range(len(rest)):
        tail = " ".join(rest[start:])
        if start and not _says_something(tail):
            continue
        names += [tail, f"{kind} {tail}"] if kind else [tail]
    return list(dict.fromkeys(n for n in names if n))


def _says_something(name: str) -> bool:
    return len(name) >= 4 and not name.isdigit() and not ROMAN.fullmatch(name)


def within_one_edit(a: str, b: str) -> bool:
    """Whether one letter added, left out, changed or two swapped make ``a`` ``b``."""
    # Optimal string alignment: Levenshtein's edits plus adjacent transpositions.
    return OSA.distance(a, b, score_cutoff=1) <= 1


def readings(text: str) -> list[Reading]:
    """The ways to read a typed address, most likely first.

    "Rydygiera 43" and "3 Maja 12" name the street first; "43 Rydygiera" the
    number first; "Rydygiera" or "11 Listopada" may be a street alone. A postcode
    and what follows a comma after the number ("…, Wrocław") are left out.
    """
    text = POSTCODE.sub(" ", plain(text)[:200])
    parts = [_tokens(p) for p in text.split(",")]
    parts = [p for p in parts if any(not HOUSE_NUMBER.fullmatch(t) for t in p)]
    if not parts:
        return []
    tokens = next((p for p in parts if any(map(HOUSE_NUMBER.fullmatch, p))), parts[0])
    found = []
    after_word = [
        i
        for i, token in enumerate(tokens)
        if i
        and HOUSE_NUMBER.fullmatch(token)
        and not HOUSE_NUMBER.fullmatch(tokens[i - 1])
    ]
    if after_word:
        i = after_word[0]
        found.append(Reading(street_key(" ".join(tokens[:i])), number_key(tokens[i])))
    if len(tokens) > 1 and HOUSE_NUMBER.fullmatch(tokens[0]):
        rest = tokens[1:]
        end = next((i for i, t in enumerate(rest) if HOUSE_NUMBER.fullmatch(t)), None)
        found.append(Reading(street_key(" ".join(rest[:end])), number_key(tokens[0])))
    found.append(Reading(street_key(" ".join(tokens))))
    found += [
        Reading(r.street.split(" ", 1)[1], r.number, unkind=True)
        for r in found
        if r.street.split(" ", 1)[0] in KIND_WORDS
        and re.search(r"[a-z]", r.street.partition(" ")[2])
    ]
    return list(dict.fromkeys(r for r in found if r.street))


def _tokens(text: str) -> list[str]:
    """Words and numbers, a letter written apart joined to its number ("43 a")."""
    tokens: list[str] = []
    for token in WORDS.findall(text):
        if len(token) == 1 and token.isalpha() and tokens and tokens[-1].isdigit():
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def number_keys(number: str) -> list[str]:
    """The numbers to look for, best first: "43a/2", then "43a", then "43"."""
    building = number.split("/")[0]
    digits = re.match(r"\d*", number).group()
    return list(dict.fromkeys(k for k in (number, building, digits) if k))


def matches_place(name: str, wanted: str, level: str) -> bool:
    """Whether a known (folded) ``name`` matches ``wanted`` at ``level``."""
    if level == "equal":
        return name == wanted
    if level == "start":
        return name.startswith(wanted)
    return wanted in name


# -- asking the register ---------------------------------------------------------------


def geocode(city: City, text: str, units: bool = True) -> Located | None:
    """Where a typed address is in the city, best first; None when nowhere.

    The register's streets by name, then (with ``units``) the city's units by
    name, then the streets within one typing mistake: a unit's exact name
    ("Leśnica") is not taken for a misspelt street ("Leśnicka").
    """
    ways = readings(text)
    found = _in_register(city, ways, typo=False)
    if found is None and units:
        found = unit_named(city, text)
    if found is None:
        found = _in_register(city, ways, typo=True)
    return found


def _in_register(city: City, ways: list[Reading], typo: bool) -> Located | None:
    """The best address or street the readings find.

    A street named as typed beats one found without the typed kind, a full name
    beats last words, and a street with the number beats its middle; a misspelt
    name comes last.
    """
    ranked = []
    for way in ways:
        for name in _streets(city, way.street, typo):
            quality = (typo, way.unkind, name.street_key != way.street)
            address = (
                addresses.numbered(city, name.street_key, number_keys(way.number))
                if way.number
                else None
            )
            if address is not None:
                found = Located(
                    address.lon,
                    address.lat,
                    "address",
                    f"{address.street} {address.number}",
                    address.postcode,
                )
            else:
                found = Located(name.lon, name.lat, "street", name.street)
            rank = (quality, address is None, len(name.street), name.street)
            ranked.append((rank, found))
    return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


def _streets(city: City, key: str, typo: bool) -> list[addresses.StreetName]:
    """The streets a name finds: by an index, or among names of about its length."""
    if not typo:
        return addresses.streets_named(city, key)
    if len(key) < TYPO_MIN_LENGTH:
        return []
    return [
        name
        for name in addresses.street_names_near(city, key)
        if name.name_key != key and within_one_edit(name.name_key, key)
    ]


def unit_named(city: City, text: str) -> Located | None:
    """The unit a typed name means: exact, then the start, then any part.

    The shortest name wins within a level; its representative point is where it is.
    """
    wanted = fold(text)
    if not wanted:
        return None
    names = {fold(name): (number, name) for number, name in cities.unit_names(city)}
    for level in PLACE_LEVELS:
        found = [name for name in names if matches_place(name, wanted, level)]
        if found:
            number, name = names[min(found, key=len)]
            point = cities.unit_point(city, number)
            return Located(point.x, point.y, "unit", name)
    return None


def reverse(
    city: City, lon: float, lat: float, metres: float = REVERSE_METRES
) -> Located | None:
    """The address nearest to a point, within ``metres``; None when none is."""
    x, y = metric_transformer().transform(lon, lat)
    address = addresses.nearest(city, x, y, metres)
    if address is None:
        return None
    return Located(
        address.lon,
        address.lat,
        "address",
        f"{address.street} {address.number}",
        address.postcode,
        distance=((address.x - x) ** 2 + (address.y - y) ** 2) ** 0.5,
    )
