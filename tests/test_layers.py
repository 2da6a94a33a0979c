"""The layer registry discovers one module per layer and refuses ambiguity."""

import sys

import pytest

import layers
from layers import LayerRegistryError, LayerSpec


@pytest.fixture
def layer_package(tmp_path, monkeypatch):
    """A throwaway package of layer modules, importable as ``fake_layers``."""
    package = tmp_path / "fake_layers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield package
    for name in [m for m in sys.modules if m.startswith("fake_layers")]:
        del sys.modules[name]


def add_module(package, name, body):
    (package / f"{name}.py").write_text(
        "from layers import LayerSpec, FieldSpec\n" + body
    )


def discover(package):
    import importlib

    return layers.discover(importlib.import_module(package.name))


def test_project_layers_are_discovered_without_errors():
    found = layers.discover()
    assert all(isinstance(spec, LayerSpec) for spec in found.values())
    assert all(key == spec.key for key, spec in found.items())


def test_a_new_module_is_a_new_layer(layer_package):
    add_module(
        layer_package,
        "day_centres",
        (
            "LAYER = LayerSpec(key='day_centres', title='Placówki', "
            "geometry_type='Point', "
            "fields=(FieldSpec('name', 'Nazwa', required=True, role='title'),))\n"
        ),
    )
    add_module(layer_package, "_helpers", "X = 1\n")  # private modules are skipped
    found = discover(layer_package)
    assert list(found) == ["day_centres"]
    assert found["day_centres"].fields[0].required


def test_two_layers_with_one_key_are_refused(layer_package):
    body = "LAYER = LayerSpec(key='needs', title='Potrzeby', geometry_type='Point')\n"
    add_module(layer_package, "needs", body)
    add_module(layer_package, "needs_copy", body)
    with pytest.raises(LayerRegistryError, match="'needs' is declared twice"):
        discover(layer_package)


def test_module_without_layer_is_refused(layer_package):
    add_module(layer_package, "empty", "x = 1\n")
    with pytest.raises(LayerRegistryError, match="should define LAYER"):
        discover(layer_package)


@pytest.mark.parametrize(
    ("key", "geometry", "message"),
    [("day centres", "Point", "not an identifier"), ("ok", "Circle", "geometry_type")],
)
def test_malformed_spec_is_refused(key, geometry, message):
    with pytest.raises(LayerRegistryError, match=message):
        LayerSpec(key=key, title="x", geometry_type=geometry)


def test_app_exposes_the_registry(demo_app):
    assert demo_app.extensions["webgis.layers"] == layers.discover()
