"""Where the project's own files live, in a checkout and in an installed wheel."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # webgis/
PROJECT_ROOT = PACKAGE_DIR.parent


def resource_dir(name: str) -> Path:
    """Return the top-level project folder ``name`` (``templates``, ``data``).

    In a checkout it sits beside the package; a built wheel carries it inside.
    """
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else PROJECT_ROOT / name
