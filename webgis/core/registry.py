"""The running app's thematic layers: discovered once, asked for by everyone.

The specs are declared in layer packages (``layers`` and any named in
``WEBGIS_LAYER_PACKAGES``); every other module asks this registry, never a package.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from flask import current_app

import layers


def discover_layers(packages) -> dict:
    """Every layer of the configured packages (``layers`` by default), keys unique."""
    found: dict = {}
    for name in packages:
        for key, spec in layers.discover(importlib.import_module(name)).items():
            if key in found:
                raise layers.LayerRegistryError(f"layer key {key!r} is declared twice")
            found[key] = spec
    return found


def translation_directories(packages) -> list[str]:
    """The message catalogues of layer packages that ship their own.

    A layer package from outside the project keeps its labels' translations in
    ``translations/<lang>/LC_MESSAGES/messages.mo`` beside its modules, so adding it
    needs no change to the app's catalogues.
    """
    found = []
    for name in packages:
        for folder in importlib.import_module(name).__path__:
            catalogue = Path(folder) / "translations"
            if catalogue.is_dir():
                found.append(str(catalogue))
    return found


def layer_registry() -> dict:
    """The running app's layers, key to spec, in a stable order."""
    return current_app.extensions["webgis.layers"]
