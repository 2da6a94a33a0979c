"""The audit log: who did what, when and from where. Admins read it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from webgis.core.extensions import db


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class AuditEntry(db.Model):
    """One recorded action; the e-mail is kept even if the account goes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_now, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(254), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


def record(action: str, target: str = "", detail: str = "", actor=None) -> AuditEntry:
    """Add an entry to the current transaction (the caller commits with its change).

    ``actor`` defaults to the signed-in user; outside a request it is the command line.
    """
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    ip = (request.remote_addr or "") if has_request_context() else "cli"
    entry = AuditEntry(
        user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", "") or (actor if isinstance(actor, str) else ""),
        ip=ip,
        action=action,
        target=target[:200],
        detail=detail,
    )
    db.session.add(entry)
    return entry


def recent(limit: int = 200, action: str | None = None) -> list[AuditEntry]:
    """The latest entries, newest first, optionally of one kind of action."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    return list(db.session.scalars(query))
