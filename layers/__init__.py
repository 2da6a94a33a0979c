"""Thematic layers: each module of this package declares one ``LAYER = LayerSpec(...)``.

Nothing else registers a layer. The app discovers the modules here at start-up; forms,
lists, the API and map toggles are generated from the specs, so a new layer is one new
module (and maybe one popup template).
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType

GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon", "Geometry")


class LayerRegistryError(ValueError):
    """A layer module that is malformed or reuses another layer's key."""


@dataclass(frozen=True)
class FieldSpec:
    """One attribute of a layer's features."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSpec:
    """Everything the app needs to know about one thematic layer."""

    key: str
    title: str
    geometry_type: str
    fields: tuple[FieldSpec, ...] = ()
    style: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.key.isidentifier():
            raise LayerRegistryError(f"layer key {self.key!r} is not an identifier")
        if self.geometry_type not in GEOMETRY_TYPES:
            raise LayerRegistryError(
                f"layer {self.key!r}: geometry_type should be one of "
                f"{GEOMETRY_TYPES}, got {self.geometry_type!r}"
            )


def discover(package: ModuleType | None = None) -> dict[str, LayerSpec]:
    """Import every module of ``package`` (this one by default) and collect its LAYER.

    Raises
    ------
    LayerRegistryError
        A module without a ``LayerSpec`` named ``LAYER``, or two modules with one key.
    """
    package = package or importlib.import_module(__name__)
    found: dict[str, LayerSpec] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        spec = getattr(module, "LAYER", None)
        if not isinstance(spec, LayerSpec):
            raise LayerRegistryError(
                f"{module.__name__} should define LAYER = LayerSpec(...), "
                f"got {type(spec).__name__}"
            )
        if spec.key in found:
            raise LayerRegistryError(
                f"layer key {spec.key!r} is declared twice (again in {module.__name__})"
            )
        found[spec.key] = spec
    return found
