"""folium's rendered pieces are kept as text, never compiled again as templates.

branca's ``MacroElement.render`` (and folium's ``Popup.render``) wrap what a macro
rendered in ``Element(output)``, and ``Element`` compiles its argument as a Jinja
template before rendering it once more. Two things follow from that:

- stored text that reached a tooltip or a popup is evaluated on the server: a
  service titled ``{{ 6*7 }}`` showed "42", and Jinja outside a sandbox can reach
  Python objects;
- compiling every piece, the area outlines' GeoJSON included, took two thirds of
  the time a map takes to render.

This module replaces those two methods, once, with versions that add the output as
:class:`RenderedText`. Every map of the app is built in this package, which imports
this module first.
"""

from __future__ import annotations

from branca.element import Element, Figure, MacroElement
from folium.map import Popup

#: The parts of a figure a macro element writes to.
_PARTS = ("header", "html", "script")


class RenderedText(Element):
    """Output that is already rendered: shown as it is."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "RenderedText"
        self.text = text

    def render(self, **kwargs) -> str:
        """The text itself; nothing in it is read as a template."""
        return self.text


def _figure_of(element: Element) -> Figure:
    figure = element.get_root()
    if not isinstance(figure, Figure):
        raise TypeError(f"{element.get_name()} is not in a Figure")
    return figure


def _render_macro(self: MacroElement, **kwargs) -> None:
    """``MacroElement.render`` without compiling the macros' output."""
    figure = _figure_of(self)
    macros = self._template.module.__dict__
    for part in _PARTS:
        macro = macros.get(part)
        if macro is not None:
            getattr(figure, part).add_child(
                RenderedText(macro(self, kwargs)), name=self.get_name()
            )
    for child in self._children.values():
        child.render(**kwargs)


def _render_popup(self: Popup, **kwargs) -> None:
    """``Popup.render`` without compiling the popup's script."""
    for child in self._children.values():
        child.render(**kwargs)
    _figure_of(self).script.add_child(
        RenderedText(self._template.render(this=self, kwargs=kwargs)),
        name=self.get_name(),
    )


MacroElement.render = _render_macro
Popup.render = _render_popup
