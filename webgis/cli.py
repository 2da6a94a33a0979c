"""The ``webgis`` command: the same core functions the tests call, for a terminal."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext

from webgis.core.errors import NotFound, WebgisError

# Each command imports what it uses, so `webgis --help` does not load the data
# libraries (geopandas, folium, openpyxl) that take a second to import.
ROLES = ("organiser", "planner", "admin")  # webgis.accounts.users.ROLES


def _report(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


@contextmanager
def _refusal():
    """Turn a domain error into a clean CLI failure (exit 1, message on stderr)."""
    try:
        yield
    except WebgisError as exc:
        raise click.ClickException(str(exc)) from exc


db_group = click.Group("db", help="Baza danych.")


@db_group.command("init")
@with_appcontext
def db_init():
    """Create the tables of a new database (and PostGIS on PostgreSQL)."""
    from webgis.database import init_db

    with _refusal():
        click.echo(f"Baza gotowa: {init_db()}")


@db_group.command("upgrade")
@with_appcontext
def db_upgrade():
    """Bring the database's schema to this version (migrations); keeps all data."""
    from webgis.database import upgrade_db

    with _refusal():
        _report(upgrade_db())


@db_group.command("revision")
@click.argument("message")
@with_appcontext
def db_revision(message):
    """For developers: write a migration for the models' changes (autogenerate)."""
    from webgis.database import new_revision

    with _refusal():
        click.echo(new_revision(message))


vocabularies_group = click.Group("vocabularies", help="Słowniki.")


def _term_keys(values: tuple[str, ...]) -> set[tuple[str, str]]:
    keys = {tuple(value.split("/", 1)) for value in values}
    wrong = [value for value in values if value.count("/") != 1]
    if wrong:
        raise click.BadParameter(f"oczekiwano SŁOWNIK/KLUCZ, jest: {', '.join(wrong)}")
    return keys


@vocabularies_group.command("sync")
@click.option("--apply", "apply_", is_flag=True, help="Write the changes shown.")
@click.option(
    "--overwrite",
    multiple=True,
    metavar="VOCABULARY/KEY",
    help="Replace an administrator's labels of this term with the file's.",
)
@click.option(
    "--keep",
    multiple=True,
    metavar="VOCABULARY/KEY",
    help="Keep an administrator's labels of this term; stop reporting the file's.",
)
@with_appcontext
def vocabularies_sync(apply_, overwrite, keep):
    """Show (and with --apply write) what data/vocabularies.toml changes."""
    from webgis.features import vocabularies

    changes = vocabularies.file_changes()
    _report([change.describe() for change in changes] or ["Słowniki zgodne z plikiem."])
    if not apply_:
        if changes:
            click.echo("Nic nie zapisano; --apply zapisuje zmiany oznaczone + i ~.")
        return
    applied = vocabularies.apply_file(_term_keys(overwrite), _term_keys(keep))
    click.echo(f"Zapisano zmian: {len(applied)}.")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(file):
    """Copy the whole database to FILE (safe while the server writes)."""
    from webgis.core.backup import backup_database

    with _refusal():
        _report(backup_database(file))


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore(file):
    """Replace the database's contents with a backup made by `webgis backup`."""
    from webgis.core.backup import restore_database
    from webgis.database import schema_note

    with _refusal():
        _report(restore_database(file))
        _report(schema_note())


cities_group = click.Group("cities", help="Miasta.")


@cities_group.command("add")
@click.argument("code")
@click.argument("name")
@click.option(
    "--unit-kind",
    default="jednostki",
    show_default=True,
    help="What the city's units are called, e.g. osiedla, dzielnice.",
)
@click.option(
    "--area-kind",
    default="obszary",
    show_default=True,
    help="What the teams' areas are called, e.g. ZTPS, Filie.",
)
@with_appcontext
def cities_add(code, name, unit_kind, area_kind):
    """Add a city (or rename an existing one)."""
    from webgis.geography import cities

    with _refusal():
        city = cities.add_city(code, name, unit_kind, area_kind)
    click.echo(f"Miasto {city.code}: {city.name}")


boundaries_group = click.Group("boundaries", help="Granice jednostek.")


@boundaries_group.command("import")
@click.argument("city_code")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", help="CRS of the file when it declares none, e.g. EPSG:2180.")
@click.option("--name-field", help="Attribute holding the unit name.")
@click.option("--number-field", help="Attribute holding the unit number.")
@click.option("--population-field", help="Attribute holding the residents.")
@click.option(
    "--simplify",
    type=float,
    metavar="METRES",
    help="Simplify the units together (shared borders stay shared) by this "
    "tolerance in metres before their size is checked, e.g. --simplify 1.",
)
@with_appcontext
def boundaries_import(
    city_code, file, crs, name_field, number_field, population_field, simplify
):
    """Replace a city's units with FILE (GeoJSON, GeoPackage, Shapefile, zip)."""
    from webgis.geography import cities
    from webgis.geography.boundaries import prepare_units, read_boundary_file

    with _refusal():
        city = cities.get_city(city_code)
        prepared = prepare_units(
            read_boundary_file(file, crs=crs),
            name_field=name_field,
            number_field=number_field,
            population_field=population_field,
            simplify=simplify,
        )
        _report(cities.replace_units(city, prepared))


areas_group = click.Group("service-areas", help="Obszary zespołów (ZTPS, Filie).")


@areas_group.command("import")
@click.argument("city_code")
@click.argument("csv_file", type=click.Path(path_type=Path))
@with_appcontext
def service_areas_import(city_code, csv_file):
    """Replace a city's service areas with the unit assignment of CSV_FILE."""
    from webgis.geography import cities

    with _refusal():
        city = cities.get_city(city_code)
        _report(cities.assign_service_areas(city, csv_file))


addresses_group = click.Group("addresses", help="Rejestr adresów (geokodowanie).")


@addresses_group.command("import")
@click.argument("city_code")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--crs", help="CRS of the points, e.g. EPSG:2180 or EPSG:2177.")
@click.option("--street-field", help="Column holding the street name.")
@click.option("--number-field", help="Column holding the house number.")
@click.option("--postcode-field", help="Column holding the postcode.")
@click.option("--x-field", help="CSV: column of the easting or longitude.")
@click.option("--y-field", help="CSV: column of the northing or latitude.")
@click.option("--layer", help="The layer of a GML, GeoPackage or zip to read.")
@with_appcontext
def addresses_import(
    city_code,
    file,
    crs,
    street_field,
    number_field,
    postcode_field,
    x_field,
    y_field,
    layer,
):
    """Replace a city's address points with FILE (PRG CSV/GML, GeoPackage, …)."""
    from webgis.core.errors import ImportRefused
    from webgis.geography import address_files, addresses, cities

    with _refusal():
        city = cities.get_city(city_code)
        if not city.units:
            raise ImportRefused(
                f"Miasto {city.name} nie ma jeszcze jednostek; najpierw zaimportuj "
                "granice (adresy spoza miasta są odrzucane)."
            )
        found = address_files.read_address_file(
            file, crs=crs, layer=layer, x_field=x_field, y_field=y_field
        )
        prepared = address_files.prepare(
            found,
            cities.city_outline(city),
            street_field=street_field,
            number_field=number_field,
            postcode_field=postcode_field,
        )
        stored = addresses.replace_addresses(city, prepared.points, prepared.streets)
        _report(address_files.summary(city.name, stored, prepared))


users_group = click.Group("users", help="Konta użytkowników.")


@users_group.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option(
    "--area",
    "areas",
    multiple=True,
    metavar="CITY:CODE",
    help="A service area of an organiser, e.g. wroclaw:ZTPS-7 (repeatable).",
)
@click.option("--name", "display_name", default="", help="Name shown in the app.")
@with_appcontext
def users_add(email, role, areas, display_name):
    """Add an account; its generated password is printed once."""
    from webgis.accounts import users

    with _refusal():
        found = users.find_areas(list(areas))
        user, password = users.save_user(None, email, role, display_name, found)
    click.echo(f"{user.email} ({user.role}) hasło: {password}")


@users_group.command("passwd")
@click.argument("email")
@with_appcontext
def users_passwd(email):
    """Give an account a new generated password (printed once)."""
    from webgis.accounts import users

    with _refusal():
        user = users.get_user_by_email(email)
        password = users.reset_password(user)
    click.echo(f"{user.email} nowe hasło: {password}")


@users_group.command("list")
@with_appcontext
def users_list():
    """Show every account with its role, areas and whether it is active."""
    from webgis.accounts import users

    for user in users.list_users():
        state = "" if user.active else "  [nieaktywne]"
        areas = " ".join(user.area_refs())
        click.echo(f"{user.email}\t{user.role}\t{areas}{state}")


features_group = click.Group("features", help="Obiekty warstw tematycznych.")


@features_group.command("import")
@click.argument("city_code")
@click.argument("layer_key")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--sheet", help="The XLSX sheet to read (the first by default).")
@click.option(
    "--layer",
    "file_layer",
    help="The layer of a GeoPackage or zip to read (all alike ones by default).",
)
@click.option("--publish", is_flag=True, help="Publish the features (else drafts).")
@click.option("--dry-run", is_flag=True, help="Check and report; write nothing.")
@click.option(
    "--update-duplicates",
    is_flag=True,
    help="Update a stored feature with the same title within 50 m (else skip it).",
)
@with_appcontext
def features_import(
    city_code, layer_key, file, sheet, file_layer, publish, dry_run, update_duplicates
):
    """Import FILE (CSV, XLSX, GeoJSON, GeoPackage, zipped Shapefile): all or none."""
    from webgis.core.registry import layer_registry
    from webgis.features import importing
    from webgis.geography import cities

    with _refusal():
        city = cities.get_city(city_code)
        spec = layer_registry().get(layer_key)
        if spec is None:
            raise NotFound(f"Nie ma warstwy {layer_key!r}.")
        source = importing.read_source(
            file,
            file.name,
            sheet=sheet,
            layer=file_layer,
            max_bytes=current_app.config["MAX_CONTENT_LENGTH"],
        )
        mapping = importing.propose_mapping(spec, source.columns)
        for index, column in enumerate(source.columns):
            click.echo(f"  {column} → {mapping.get(index, '—')}")
        plan = importing.plan(
            None,
            city,
            spec,
            source,
            mapping,
            publish=publish,
            update_duplicates=update_duplicates,
        )
        _report(importing.summary(plan))
        if dry_run and not plan.problems:
            click.echo("Próba: nic nie zapisano.")
            return
        saved = importing.run(None, city, spec, plan)
    click.echo(
        f"Zapisano {len(saved)} obiektów ({'opublikowane' if publish else 'szkice'})."
    )


@features_group.command("reindex")
@with_appcontext
def features_reindex():
    """Recompute the query columns of every feature (after a layer's spec changed)."""
    from webgis.features import store

    click.echo(f"Przeliczono obiekty: {store.reindex()}")


analyse_group = click.Group("analyse", help="Analizy pokrycia dla planistów.")


@analyse_group.command("coverage")
@click.option("--city", "city_code", required=True)
@click.option(
    "--layer", help="A layer key; by default the layer counted as facilities."
)
@click.option(
    "--type",
    "category",
    help="Only features of this category (facility type, target group…) key.",
)
@click.option(
    "--radius",
    type=click.FloatRange(min=1),
    default=1000,
    show_default=True,
    help="Metres from a facility that count as covered.",
)
@click.option(
    "--cell",
    type=click.FloatRange(min=10),
    default=100,
    show_default=True,
    help="Grid cell size in metres.",
)
@click.option(
    "--date",
    "when",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The state at the end of this day (from the history).",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def analyse_coverage(city_code, layer, category, radius, cell, when, out):
    """Per-unit coverage, places per resident and 2SFCA, written as CSV."""
    from webgis.analysis.coverage import coverage_table
    from webgis.features.export import table_file
    from webgis.geography import cities

    with _refusal():
        city = cities.get_city(city_code)
        table = coverage_table(
            city, layer, category, radius, cell, when.date() if when else None
        )
    # The same neutralised CSV as the page's download (spreadsheet formulas).
    out.write_bytes(table_file(table, "csv", "coverage"))
    known = table[table["population"].notna()]
    share = known["covered"].sum() / known["population"].sum()
    click.echo(
        f"{out}: {len(table)} jednostek; mieszkańcy w zasięgu {radius:.0f} m: "
        f"{share:.1%}"
    )
    missing = table.loc[table["population"].isna(), "name"].tolist()
    if missing:
        click.echo("Bez danych o mieszkańcach (pominięte): " + ", ".join(missing))


@click.command("demo")
@with_appcontext
def demo():
    """Load both demo cities from WEBGIS_BOUNDARIES_DIR."""
    from webgis.demo import demo_accounts, load_demo

    with _refusal():
        _report(load_demo(Path(current_app.config["WEBGIS_BOUNDARIES_DIR"])))
        click.echo("Konta demonstracyjne (hasła są nowe przy każdym uruchomieniu):")
        for user, password in demo_accounts():
            click.echo(f"  {user.role:10} {user.email}  hasło: {password}")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Requests answered at once by this process.",
)
@click.pass_obj
def serve(info: ScriptInfo, host, port, threads):
    """Serve the app with waitress (a production WSGI server)."""
    from waitress import serve as waitress_serve

    from webgis.core.collection import collect_between_requests
    from webgis.core.config import ConfigurationRefused

    # The app is built here, not by with_appcontext, so that settings it refuses
    # (WEBGIS_ENV=production) end the command with their message and exit 1.
    try:
        app = info.load_app()
    except ConfigurationRefused as exc:
        raise click.ClickException(str(exc)) from exc
    collect_between_requests(app)
    click.echo(
        f"Mapa Zasobów: http://{host}:{port}/  (wątki: {threads}; Ctrl+C kończy)"
    )
    waitress_serve(app, host=host, port=port, threads=threads)


COMMANDS = (
    db_group,
    vocabularies_group,
    cities_group,
    boundaries_group,
    areas_group,
    addresses_group,
    users_group,
    features_group,
    analyse_group,
    demo,
    serve,
    backup,
    restore,
)


def register_commands(app: Flask) -> None:
    """Attach the commands to ``app.cli``, for ``flask --app webgis …``."""
    for command in COMMANDS:
        app.cli.add_command(command)


def _app() -> Flask:
    from webgis import create_app

    return create_app()


#: The ``webgis`` command (pyproject's entry point): each command runs in an app
#: built from the environment, built only when a command runs (not for --help).
main = click.Group(
    "webgis",
    commands=COMMANDS,
    help="Mapa Zasobów.",
    context_settings={"obj": ScriptInfo(create_app=_app, load_dotenv_defaults=False)},
)
