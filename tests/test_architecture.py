"""The architecture holds: layers are data to the core, and imports point inward.

A layer is declared once in ``layers/``; the core asks the registry and the fields'
roles, never a layer by its key. The subpackages of ``webgis`` stand on each other
in one order, so a newcomer finds the room for a change from the folder names alone.
"""

import ast
import re
from pathlib import Path

import pytest

import layers
from layers import FieldSpec, LayerRegistryError, LayerSpec
from webgis.features.kinds import KINDS, check_layers

ROOT = Path(__file__).resolve().parents[1]
CORE = [ROOT / "webgis", ROOT / "templates"]
#: Lower rooms first: a module may import its own room and the rooms before it.
ROOMS = ["core", "geography", "accounts", "features", "finder", "analysis", "web"]
#: Rooms on one floor that must not import each other.
SIDE_BY_SIDE = {frozenset({"finder", "analysis"})}


def _sources():
    for folder in CORE:
        for path in sorted(folder.rglob("*")):
            if (
                path.suffix in (".py", ".html", ".js")
                and "translations" not in path.parts
            ):
                yield path


def test_no_module_outside_layers_names_a_layer():
    keys = layers.discover()
    found = [
        f"{path.relative_to(ROOT)}:{number}: {key}"
        for path in _sources()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        for key in keys
        if re.search(rf"\b{re.escape(key)}\b", line)
    ]
    assert found == []


def _room(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "webgis" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in ROOMS else "top"


def test_imports_point_inward():
    """No room imports a room above it (the app's top level imports everything)."""
    backwards = []
    for path in sorted((ROOT / "webgis").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        room = _room(module)
        if room in (None, "top"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            for target in targets:
                other = _room(target)
                if other is None or other == room:
                    continue
                if (
                    other == "top"
                    or ROOMS.index(other) > ROOMS.index(room)
                    or frozenset({room, other}) in SIDE_BY_SIDE
                ):
                    backwards.append(f"{module} imports {target}")
    assert backwards == []


def test_every_field_kind_is_one_registered_object():
    for spec in layers.discover().values():
        for spec_field in spec.all_fields:
            assert spec_field.kind in KINDS, (spec.key, spec_field.name)


def test_an_unknown_kind_is_refused_naming_the_layer():
    spec = LayerSpec(
        "benches",
        "Ławki",
        "Point",
        fields=(FieldSpec("name", "Nazwa", "colour", role="title"),),
    )
    with pytest.raises(LayerRegistryError, match="layer 'benches': field 'name'"):
        check_layers({"benches": spec})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ((FieldSpec("name", "Nazwa"),), "role='title'"),
        (
            (
                FieldSpec("name", "Nazwa", role="title"),
                FieldSpec("other", "Inna", role="title"),
            ),
            "more than one field has the role title",
        ),
        ((FieldSpec("name", "Nazwa", role="title", after="start"),), "comes after"),
    ],
)
def test_a_malformed_declaration_is_refused(fields, message):
    with pytest.raises(LayerRegistryError, match=message):
        LayerSpec("benches", "Ławki", "Point", fields=fields)


def test_a_field_with_an_unknown_role_is_refused():
    with pytest.raises(LayerRegistryError, match="role should be one of"):
        FieldSpec("seats", "Miejsca", "int", role="places")


def test_the_app_refuses_to_start_with_a_layer_of_an_unknown_kind(
    tmp_path, monkeypatch
):
    from webgis import create_app

    package = tmp_path / "broken_layers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "benches.py").write_text(
        "from layers import FieldSpec, LayerSpec\n"
        "LAYER = LayerSpec('benches', 'Ławki', 'Point', fields=(\n"
        "    FieldSpec('name', 'Nazwa', 'colour', role='title'),))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(LayerRegistryError, match="layer 'benches': field 'name'"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}",
                "WEBGIS_LAYER_PACKAGES": ("layers", "broken_layers"),
            }
        )
