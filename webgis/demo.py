"""The demo: both cities from the shared reference data, ready to look at."""

import tomllib
from datetime import datetime
from pathlib import Path

import shapely
from shapely.geometry import Point

from webgis.accounts import users
from webgis.accounts.users import User
from webgis.core.errors import Invalid, NotFound, WebgisError
from webgis.core.paths import resource_dir
from webgis.core.registry import layer_registry
from webgis.database import upgrade_db
from webgis.features import store
from webgis.geography import cities
from webgis.geography.boundaries import prepare_units, read_boundary_file


def demo_cities() -> list[dict]:
    """The cities of ``data/cities.toml``."""
    with (resource_dir("data") / "cities.toml").open("rb") as handle:
        return tomllib.load(handle)["city"]


def load_demo(boundaries_dir: Path) -> list[str]:
    """Migrate the schema and (re)load every demo city; running it again is harmless."""
    if not boundaries_dir.is_dir():
        raise WebgisError(
            f"Nie ma katalogu z granicami {boundaries_dir}; "
            "wskaż go zmienną WEBGIS_BOUNDARIES_DIR."
        )
    notes = upgrade_db()
    for spec in demo_cities():
        city = cities.add_city(
            spec["code"], spec["name"], spec["unit_kind"], spec["area_kind"]
        )
        frame = read_boundary_file(boundaries_dir / spec["boundaries"])
        prepared = prepare_units(
            frame,
            name_field=spec["name_field"],
            number_field=spec["number_field"],
            population_field=spec["population_field"],
        )
        notes += cities.replace_units(city, prepared)
        notes += cities.assign_service_areas(
            city, boundaries_dir / spec["service_areas"]
        )
    notes += demo_features()
    return notes


#: One account per role, as issue #3 describes the demo; passwords are generated.
DEMO_ACCOUNTS = (
    (
        "organizator.ztps7@demo.invalid",
        "organiser",
        "Organizatorka ZTPS 7",
        ["wroclaw:ZTPS-7"],
    ),
    ("organizator.f6@demo.invalid", "organiser", "Organizator Filii 6", ["krakow:F6"]),
    ("planista@demo.invalid", "planner", "Planistka", []),
    ("admin@demo.invalid", "admin", "Administrator", []),
)


def demo_accounts() -> list[tuple[User, str]]:
    """Create (or refresh) the demo accounts with new random passwords."""
    created = []
    for email, role, name, refs in DEMO_ACCOUNTS:
        areas = users.find_areas(refs)
        try:
            user = users.get_user_by_email(email)
        except NotFound:
            created.append(users.save_user(None, email, role, name, areas))
            continue
        users.save_user(user, email, role, name, areas, active=True)
        created.append((user, users.reset_password(user)))
    return created


def demo_features() -> list[str]:
    """Load ``data/demo_features.toml``: documented facts and labelled samples.

    Each entry goes through the feature store like a form (one revision each);
    features already present (same layer and title) are left alone, so a re-run
    adds nothing twice. Entries that answer others come after them, so their links
    are known when they are created.
    """
    with (resource_dir("data") / "demo_features.toml").open("rb") as handle:
        data = tomllib.load(handle)
    entries, documents = data["feature"], data["documents"]
    entries.sort(key=lambda entry: bool(entry.get("answers")))
    specs, created, notes = layer_registry(), {}, []
    for entry in entries:
        city = cities.get_city(entry["city"])
        spec = specs[entry["layer"]]
        properties = _demo_properties(entry, created)
        geometry, moved = _demo_geometry(city, spec, entry)
        if moved:
            properties["location_precision"] = "unit"
            notes.append(
                f"{properties.get(spec.title_field)}: punkt poza jednostką "
                f"{entry['unit']}, umieszczono w jej środku"
            )
        title = properties.get(spec.title_field)
        existing = [
            f
            for f in store.visible(city, spec, _Importer())
            if f.title_for(spec) == title
        ]
        if existing:
            created[entry.get("key", title)] = existing[0]
            continue
        try:
            feature = store.create(
                None,
                city,
                spec,
                geometry,
                properties,
                entry.get("status", "published"),
                described_at=_described_at(entry, documents),
            )
        except Invalid as invalid:
            raise WebgisError(
                f"Dane demonstracyjne: {title}: {invalid.errors}"
            ) from None
        created[entry.get("key", title)] = feature
    notes.insert(0, f"Obiekty demonstracyjne: {len(entries)} w pliku.")
    return notes


def _described_at(entry: dict, documents: dict) -> datetime | None:
    """The moment an entry's document describes (its own founding date first).

    ``source`` starts with the document's number ("003 Dobre Praktyki …"); an
    entry of another origin is dated by the day it is loaded (None).
    """
    founded = entry.get("properties", {}).get("founded_on")
    document = documents.get(entry.get("source", "")[:3])
    day = founded or document
    return datetime.fromisoformat(day) if day else None


class _Importer:
    """The command line sees every feature, drafts included."""

    is_authenticated = True
    sees_everything = True


def _demo_properties(entry: dict, created: dict) -> dict:
    properties = dict(entry.get("properties", {}))
    properties["location_precision"] = entry.get("precision", "address")
    address = entry.get("address") or entry.get("street")
    if address:
        properties["address"] = address
    if entry.get("sample"):
        properties["sample"] = True
    properties["data_source"] = entry.get("source", "")
    # Sample resources answer sample needs, named by their keys in the file.
    answers = [created[k].id for k in entry.get("answers", []) if k in created]
    if answers:
        properties["answers"] = answers
    return properties


def _demo_geometry(city, spec, entry):
    """The entry's geometry and whether its point had to move into its unit."""
    units = {u.number: u.geometry for u in city.units}
    if spec.geometry_type == "Polygon":
        return shapely.union_all(
            [units[n] for n in entry.get("units", [entry["unit"]])]
        ), False
    unit = units[entry["unit"]]
    if "lon" in entry and "lat" in entry:
        point = Point(entry["lon"], entry["lat"])
        if unit.covers(point):
            return point, False
        return unit.representative_point(), True
    return unit.representative_point(), False
