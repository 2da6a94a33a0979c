"""Configuration read from the environment, with defaults that need no set-up.

Only this module reads ``os.environ``.
"""

import os
import secrets
from pathlib import Path

from webgis.core.paths import PROJECT_ROOT


def _default_database_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'webgis.sqlite'}"


class Config:
    """Settings of one app instance; tests subclass or override with a mapping."""

    def __init__(self, instance_path: Path):
        env = os.environ
        self.SQLALCHEMY_DATABASE_URI = env.get(
            "DATABASE_URL", _default_database_url(instance_path)
        )
        # "production" refuses to start with settings that are safe only for a demo
        # (see production_problems).
        self.WEBGIS_ENV = env.get("WEBGIS_ENV", "development").strip().lower()
        # A random key keeps a bare demo safe; deployments with several processes set
        # SECRET_KEY so that all of them accept each other's sessions. In production
        # there is no random default: a missing key stops the start.
        self.SECRET_KEY = env.get("SECRET_KEY") or (
            None if self.WEBGIS_ENV == "production" else secrets.token_hex(32)
        )
        # How many app processes serve this site together (a deployment says so);
        # more than one needs a limiter store they share.
        self.WEBGIS_PROCESSES = int(env.get("WEBGIS_PROCESSES", "1"))
        # Log lines as plain text, or "json": one JSON object per line.
        self.WEBGIS_LOG_FORMAT = env.get("WEBGIS_LOG_FORMAT", "text").strip().lower()
        self.WEBGIS_BOUNDARIES_DIR = Path(
            env.get(
                "WEBGIS_BOUNDARIES_DIR", PROJECT_ROOT.parent / "shared" / "boundaries"
            )
        )
        # Background tiles come from the internet; the maps work without them.
        self.WEBGIS_TILES_URL = env.get(
            "WEBGIS_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
        )
        self.WEBGIS_TILES_ATTRIBUTION = env.get(
            "WEBGIS_TILES_ATTRIBUTION",
            '&copy; <a href="https://www.openstreetmap.org/copyright">'
            "OpenStreetMap</a>",
        )
        self.MAX_CONTENT_LENGTH = int(env.get("WEBGIS_MAX_UPLOAD_BYTES", 50 * 2**20))
        # Python packages whose modules declare thematic layers (see layers/).
        # Comma-separated: a city adds its own layers without touching this project,
        # e.g. WEBGIS_LAYER_PACKAGES=layers,my_city_layers.
        self.WEBGIS_LAYER_PACKAGES = tuple(
            name.strip()
            for name in env.get("WEBGIS_LAYER_PACKAGES", "layers").split(",")
            if name.strip()
        )
        self.BABEL_DEFAULT_LOCALE = "pl"
        self.WEBGIS_LANGUAGES = ("pl", "en", "uk")
        # hide_parameters: a database error in the log never carries the values of
        # its statement (password hashes, session tokens).
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": True,
            "hide_parameters": True,
        }
        # Behind https (directly or via a proxy that sets X-Forwarded-Proto): Secure
        # cookies. HSTS is sent on https requests whatever this says.
        self.WEBGIS_HTTPS = env.get("WEBGIS_HTTPS", "0") == "1"
        self.WEBGIS_PROXY_HOPS = int(env.get("WEBGIS_PROXY_HOPS", "0"))
        # Failed logins allowed per account and address, and per address across all
        # accounts (one office behind NAT shares an address); with several processes,
        # point the limiter at a shared store (e.g. redis://...) so they count together.
        self.WEBGIS_LOGIN_LIMIT = env.get("WEBGIS_LOGIN_LIMIT", "5 per minute")
        self.WEBGIS_LOGIN_ADDRESS_LIMIT = env.get(
            "WEBGIS_LOGIN_ADDRESS_LIMIT", "30 per minute"
        )
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        # The lobby terminal returns to the finder's start after this much idleness.
        self.WEBGIS_KIOSK_IDLE_SECONDS = int(
            env.get("WEBGIS_KIOSK_IDLE_SECONDS", "120")
        )
        # Services the finder keeps derived (search text, metric coordinates); more
        # than the published services of the largest city makes searches cheaper.
        self.WEBGIS_FINDER_CACHE_SIZE = int(
            env.get("WEBGIS_FINDER_CACHE_SIZE", "50000")
        )
        # Public suggestions allowed per address (spam protection without CAPTCHA).
        self.WEBGIS_SUGGEST_LIMIT = env.get("WEBGIS_SUGGEST_LIMIT", "5 per hour")

    def as_dict(self) -> dict:
        """Return the settings as a mapping for ``app.config.from_mapping``."""
        return {k: v for k, v in vars(self).items() if k.isupper()}


#: Values of WEBGIS_ENV and WEBGIS_LOG_FORMAT this version knows.
ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("text", "json")


class ConfigurationRefused(ValueError):
    """Settings the app will not start with; the message names each variable."""


def production_problems(config) -> list[str]:
    """What keeps ``config`` (an app's settings) from starting, one line per problem.

    Outside production only misspelt values count; in production also what is safe
    for a demo on one machine only: a random session key (each process and each
    restart its own, signing everyone out), cookies sent over plain http, and a
    login limit counted per process when several processes serve the site.
    """
    problems = []
    if config["WEBGIS_ENV"] not in ENVIRONMENTS:
        problems.append(
            f"WEBGIS_ENV={config['WEBGIS_ENV']!r}: dozwolone wartości to "
            + ", ".join(ENVIRONMENTS)
            + "."
        )
    if config["WEBGIS_LOG_FORMAT"] not in LOG_FORMATS:
        problems.append(
            f"WEBGIS_LOG_FORMAT={config['WEBGIS_LOG_FORMAT']!r}: dozwolone wartości "
            "to " + ", ".join(LOG_FORMATS) + "."
        )
    if config["WEBGIS_ENV"] != "production":
        return problems
    if not config.get("SECRET_KEY"):
        problems.append(
            "SECRET_KEY nie jest ustawiony: ustaw długi losowy klucz, ten sam w każdym "
            "procesie (np. python3 -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if not config["WEBGIS_HTTPS"]:
        problems.append(
            "WEBGIS_HTTPS nie jest równe 1: w produkcji strona działa przez https "
            "(ciasteczka sesji tylko z flagą Secure)."
        )
    storage = str(config["RATELIMIT_STORAGE_URI"])
    if config["WEBGIS_PROCESSES"] > 1 and storage.startswith("memory://"):
        problems.append(
            f"RATELIMIT_STORAGE_URI={storage} przy WEBGIS_PROCESSES="
            f"{config['WEBGIS_PROCESSES']}: każdy proces liczyłby nieudane logowania "
            "osobno; wskaż wspólny magazyn, np. redis://127.0.0.1:6379/0."
        )
    return problems


def check_startable(config) -> None:
    """Refuse (ConfigurationRefused) settings :func:`production_problems` objects to."""
    problems = production_problems(config)
    if problems:
        header = (
            "Aplikacja nie wystartuje w trybie WEBGIS_ENV=production:"
            if config["WEBGIS_ENV"] == "production"
            else "Niepoprawna konfiguracja:"
        )
        raise ConfigurationRefused("\n".join([header, *(f"  - {p}" for p in problems)]))
