"""The demo: both cities from the shared reference data, ready to look at."""

import tomllib
from pathlib import Path

from webgis import accounts, geography
from webgis.accounts import User
from webgis.boundaries import prepare_units, read_boundary_file
from webgis.database import init_db
from webgis.errors import NotFound, WebgisError
from webgis.paths import resource_dir


def demo_cities() -> list[dict]:
    """The cities of ``data/cities.toml``."""
    with (resource_dir("data") / "cities.toml").open("rb") as handle:
        return tomllib.load(handle)["city"]


def load_demo(boundaries_dir: Path) -> list[str]:
    """Create the schema and (re)load every demo city; running it again is harmless."""
    if not boundaries_dir.is_dir():
        raise WebgisError(
            f"Nie ma katalogu z granicami {boundaries_dir}; "
            "wskaż go zmienną WEBGIS_BOUNDARIES_DIR."
        )
    notes = [f"Baza danych: {init_db()}"]
    for spec in demo_cities():
        city = geography.add_city(
            spec["code"], spec["name"], spec["unit_kind"], spec["area_kind"]
        )
        frame = read_boundary_file(boundaries_dir / spec["boundaries"])
        prepared = prepare_units(
            frame,
            name_field=spec["name_field"],
            number_field=spec["number_field"],
            population_field=spec["population_field"],
        )
        notes += geography.replace_units(city, prepared)
        notes += geography.assign_service_areas(
            city, boundaries_dir / spec["service_areas"]
        )
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
        areas = accounts.find_areas(refs)
        try:
            user = accounts.get_user_by_email(email)
        except NotFound:
            created.append(accounts.save_user(None, email, role, name, areas))
            continue
        accounts.save_user(user, email, role, name, areas, active=True)
        created.append((user, accounts.reset_password(user)))
    return created
