"""Stored text is shown as text: never translated as markup, never unescaped.

``_()`` in a template returns markup Jinja does not escape, so passing stored data
through it (a vocabulary label, a feature's title) printed it as HTML. The rule is
now checked in the source: templates translate string literals only, and labels
declared in code go through ``tr()``, which returns text to escape.
"""

import ast
import re
from pathlib import Path

from tests.conftest import NADODRZE, client_as, new_feature
from tests.payloads import injections

ROOT = Path(__file__).resolve().parents[1]
GETTEXT = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "N_"}
#: ``_(`` followed by anything but a string literal.
TEMPLATE_DATA_THROUGH_GETTEXT = re.compile(r"""\b(_|gettext|ngettext)\(\s*(?!["'])""")

META_REFRESH = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'


def test_templates_translate_string_literals_only():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if TEMPLATE_DATA_THROUGH_GETTEXT.search(line)
    ]
    assert offenders == []


def test_python_translates_string_literals_only():
    """Labels declared in code go through webgis.text.translated, data never."""
    offenders = []
    for folder in ("webgis", "layers"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "text.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in GETTEXT
                    and not (
                        node.args
                        and isinstance(node.args[0], ast.Constant)
                        and isinstance(node.args[0].value, str)
                    )
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


def test_python_makes_lazy_messages_through_the_escaping_wrapper():
    """flask_babel's lazy strings claim to be markup; ours are text, escaped."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("webgis", "layers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.name != "text.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"\b(lazy_gettext|lazy_ngettext|LazyString)\b", line)
    ]
    assert offenders == []


def test_a_message_carrying_a_sheet_name_is_shown_as_text(staff_app):
    from flask import render_template_string

    from webgis.core.text import lazy_text

    sheet = '<img src=x onerror="alert(1)">'
    with staff_app.test_request_context():
        message = lazy_text("W pliku nie ma arkusza „%(name)s”.", name=sheet)
        page = render_template_string(
            "<p>{{ m }}</p><ul>{{ ms|join(', ') }}</ul>", m=message, ms=[message]
        )
    assert "<img" not in page
    assert page.count("&lt;img src=x") == 2


def test_a_linked_needs_title_cannot_redirect_the_resources_visitors(staff_app):
    """The attack of the review: a need titled with a <meta refresh>."""
    need, _ = new_feature(
        staff_app,
        "needs_resources",
        NADODRZE,
        kind="need",
        title="Pomoc" + META_REFRESH,
        category="housing",
        public=True,
    )
    resource, _ = new_feature(
        staff_app,
        "needs_resources",
        NADODRZE,
        kind="resource",
        title="Punkt pomocy",
        category="housing",
        answers=[need],
    )
    public = client_as(staff_app, "anonymous")
    page = public.get(f"/wroclaw/layers/needs_resources/{resource}")
    text = page.get_data(as_text=True)
    assert "Pomoc&lt;meta" in text  # the title is there, as text
    assert "http-equiv" not in _tags(text)
    organiser = client_as(staff_app, "organiser_own")
    form = organiser.get("/wroclaw/layers/needs_resources/new").get_data(as_text=True)
    assert "Pomoc&lt;meta" in form
    assert "http-equiv" not in _tags(form)


def _tags(html: str) -> str:
    """Every start tag of the page, to look for attributes in."""
    return " ".join(re.findall(r"<[a-zA-Z][^>]*>", html))


def test_a_vocabulary_label_with_markup_is_shown_as_text(staff_app):
    from webgis.features import vocabularies

    with staff_app.app_context():
        term = next(
            t
            for t in vocabularies.terms("facility_type")
            if t.key == "counselling_centre"
        )
        term_id = term.id
        original = {lang: getattr(term, f"label_{lang}") for lang in ("pl", "en", "uk")}
        label = 'Poradnia<img src=x onerror="alert(1)" data-pwn>'
        vocabularies.update_term(term_id, {"pl": label, "en": label, "uk": label}, True)
    try:
        new_feature(
            staff_app, "day_centres", NADODRZE, facility_type="counselling_centre"
        )
        for url in ("/wroclaw/layers/day_centres/", "/wroclaw/services"):
            text = client_as(staff_app, "anonymous").get(url).get_data(as_text=True)
            assert "Poradnia&lt;img" in text, url
            assert injections(text) == [], url
    finally:
        with staff_app.app_context():
            vocabularies.update_term(term_id, original, True)


#: Jinja syntax in stored text: evaluated, it would print "pwn42".
TEMPLATE_PAYLOAD = '{{ "pwn" ~ 6*7 }}{% if true %}{{ "pwn" ~ 7*7 }}{% endif %}'


def test_stored_text_on_a_map_is_never_evaluated_as_a_template(staff_app):
    """Folium compiled its rendered pieces again as Jinja templates.

    A title in a map's popup or tooltip was then run on the server; now the pieces
    are kept as text, and the title shows as typed.
    """
    feature, _ = new_feature(
        staff_app, "day_centres", NADODRZE, name="Świetlica " + TEMPLATE_PAYLOAD
    )
    public = client_as(staff_app, "anonymous")
    pages = [
        public.get("/wroclaw/services?q=swietlica").get_data(as_text=True),
        public.get(f"/wroclaw/services/{feature}").get_data(as_text=True),
        client_as(staff_app, "planner")
        .get(f"/wroclaw/layers/day_centres/{feature}")
        .get_data(as_text=True),
    ]
    for text in pages:
        assert "pwn42" not in text and "pwn49" not in text
    assert "6*7 }}" in pages[0]  # the popup carries the title as typed
