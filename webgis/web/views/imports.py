"""The import wizard: upload a file, check the mapping and the preview, then import.

Between the steps the uploaded file stays on the server, in a directory of its own
under the instance folder named by a random token (never a path the browser
sends); only the person who uploaded it may use it, and it is removed after the
import or, left behind, after a day.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
import unicodedata
from pathlib import Path, PurePosixPath

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from webgis.accounts.permissions import role_required
from webgis.core.errors import ImportRefused
from webgis.core.registry import layer_registry
from webgis.features import editing, importing
from webgis.features.export import XLSX
from webgis.geography import cities

bp = Blueprint("imports", __name__)
STAFF = ("organiser", "planner", "admin")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
#: An upload nobody imported is removed after this many seconds (a day).
KEEP_SECONDS = 24 * 3600
#: Problems the preview lists (all of them are counted).
SHOWN_PROBLEMS = 300
ACCEPTED = ".csv,.txt,.xlsx,.geojson,.json,.gpkg,.zip"


def _uploads() -> Path:
    return Path(current_app.instance_path) / "imports"


def _upload_page(city, layer: str, refusal: ImportRefused | None = None, status=200):
    return render_template(
        "imports/upload.html",
        city=city,
        layers=layer_registry(),
        layer=layer,
        refusal=refusal,
        accepted=ACCEPTED,
        limit=current_app.config["MAX_CONTENT_LENGTH"] // 2**20,
    ), status


@bp.route("/<city_code>/import/", methods=["GET", "POST"])
@role_required(*STAFF)
def upload(city_code: str):
    """Choose a layer and a file; a readable file goes on to the preview."""
    city = cities.get_city(city_code)
    layer = request.values.get("layer", "")
    if request.method == "GET":
        return _upload_page(city, layer)
    spec = layer_registry().get(layer)
    sent = request.files.get("file")
    if spec is None or sent is None or not sent.filename:
        message = _("Wybierz warstwę i plik do wczytania.")
        return _upload_page(city, layer, ImportRefused(message), 422)
    token, path, name = _keep(sent, city, spec)
    try:
        importing.read_source(path, name, max_bytes=_limit())
    except ImportRefused as refusal:
        shutil.rmtree(path.parent, ignore_errors=True)
        return _upload_page(city, layer, refusal, 422)
    return redirect(url_for(".preview", city_code=city.code, token=token), code=303)


def _limit() -> int:
    return current_app.config["MAX_CONTENT_LENGTH"]


def _display_name(filename: str) -> str:
    """The file's own name, as its owner knows it (no folders, no control marks)."""
    name = PurePosixPath(filename.replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    return name[-200:] or "plik"


def _keep(sent, city, spec) -> tuple[str, Path, str]:
    """Store the upload under a new token; old uploads nobody finished are removed."""
    _sweep()
    name = _display_name(sent.filename)
    token = secrets.token_urlsafe(24)
    directory = _uploads() / token
    directory.mkdir(parents=True)
    path = directory / ("upload" + Path(name).suffix.lower()[:10])
    sent.save(path)
    details = {"user": current_user.id, "city": city.code, "layer": spec.key}
    details |= {"name": name, "file": path.name}
    (directory / "upload.json").write_text(json.dumps(details), encoding="utf-8")
    return token, path, name


def _sweep() -> None:
    folder = _uploads()
    if not folder.is_dir():
        return
    for directory in folder.iterdir():
        if time.time() - directory.stat().st_mtime > KEEP_SECONDS:
            shutil.rmtree(directory, ignore_errors=True)


def _upload_of(city, token: str) -> tuple[Path, dict]:
    """The upload's file and details; another person's or a gone one is a 404."""
    if not TOKEN.match(token):
        abort(404)
    directory = _uploads() / token
    try:
        details = json.loads((directory / "upload.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        abort(404)
    if details.get("user") != current_user.id or details.get("city") != city.code:
        abort(404)
    if details.get("layer") not in layer_registry():
        abort(404)
    return directory / details["file"], details


def _mapping(values, source, spec) -> dict[int, str]:
    """The mapping the person chose, or the proposed one for a fresh preview."""
    if values.get("mapped") != "1":
        return importing.propose_mapping(spec, source.columns)
    known = {target for target, _label in importing.targets(spec)}
    chosen: dict[int, str] = {}
    for index in range(len(source.columns)):
        target = values.get(f"map-{index}", "")
        if target in known and target not in chosen.values():
            chosen[index] = target
    return chosen


def _planned(city, path: Path, details: dict, values):
    """The file read with the chosen sheet or layer, its mapping and its plan."""
    spec = layer_registry()[details["layer"]]
    part = values.get("part") or None
    source = importing.read_source(
        path, details["name"], sheet=part, layer=part, max_bytes=_limit()
    )
    mapping = _mapping(values, source, spec)
    plan = importing.plan(
        current_user,
        city,
        spec,
        source,
        mapping,
        publish=values.get("publish") == "y",
        update_duplicates=values.get("duplicates") == "update",
    )
    return spec, source, mapping, plan


def _preview_page(city, token, path, details, values, refusal=None, status=200):
    page = {"city": city, "token": token, "details": details, "refusal": refusal}
    try:
        spec, source, mapping, plan = _planned(city, path, details, values)
    except ImportRefused as unreadable:
        # A sheet or layer the file does not have: the page says so.
        spec = layer_registry()[details["layer"]]
        page |= {"spec": spec, "refusal": unreadable, "plan": None}
        return render_template("imports/preview.html", **page), 422
    options = editing.field_options(city, spec, current_user)
    fields, rows = importing.preview(plan, spec, options)
    page |= {"spec": spec, "source": source, "mapping": mapping, "plan": plan}
    page |= {"targets": importing.targets(spec), "fields": fields, "rows": rows}
    page |= {"problems": plan.problems[:SHOWN_PROBLEMS], "values": values}
    page["sheet"] = details["file"].endswith(".xlsx")
    return render_template("imports/preview.html", **page), status


@bp.get("/<city_code>/import/<token>")
@role_required(*STAFF)
def preview(city_code: str, token: str):
    """The mapping of columns to fields, every problem, and the first rows."""
    city = cities.get_city(city_code)
    path, details = _upload_of(city, token)
    return _preview_page(city, token, path, details, request.args)


@bp.post("/<city_code>/import/<token>")
@role_required(*STAFF)
def run(city_code: str, token: str):
    """Import every row, or none: a problem shows the preview again."""
    city = cities.get_city(city_code)
    path, details = _upload_of(city, token)
    try:
        spec, _source, _mapping, plan = _planned(city, path, details, request.form)
        saved = importing.run(current_user, city, spec, plan)
    except ImportRefused as refusal:
        return _preview_page(
            city, token, path, details, request.form, refusal, status=422
        )
    shutil.rmtree(path.parent, ignore_errors=True)
    flash(
        _(
            "Zaimportowano z pliku %(name)s: %(n)s obiektów (pominięte duplikaty: "
            "%(skipped)s).",
            name=details["name"],
            n=len(saved),
            skipped=len(plan.duplicates) if not plan.update_duplicates else 0,
        ),
        "success",
    )
    return redirect(
        url_for("features.listing", city_code=city.code, layer_key=spec.key), code=303
    )


@bp.get("/<city_code>/import/template/<layer_key>.xlsx")
@role_required(*STAFF)
def template(city_code: str, layer_key: str):
    """An XLSX to fill in: the layer's columns, drop-down lists and explanations."""
    city = cities.get_city(city_code)
    spec = layer_registry().get(layer_key)
    if spec is None:
        abort(404)
    name = f"{city.code}-{spec.key}-template.xlsx"
    return Response(
        importing.template(city, spec, current_user),
        content_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
