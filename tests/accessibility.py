"""axe-core, vendored from npm (scripts/vendor.sh), run in a Playwright page."""

from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def run_axe(page) -> list[dict]:
    """Serious and critical WCAG 2.1 A/AA violations axe-core finds on the page."""
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
