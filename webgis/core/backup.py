"""Backing up and restoring the whole database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path


def backup_database(file: Path) -> list[str]:
    """Write a backup of the app's database to ``file``; returns lines for the user."""
    raise NotImplementedError


def restore_database(file: Path) -> list[str]:
    """Replace the app's database contents with the backup ``file``."""
    raise NotImplementedError
