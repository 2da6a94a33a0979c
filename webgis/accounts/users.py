"""User accounts: who may sign in, with which role, for which service areas."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from functools import cache

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table, delete, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webgis.core import audit
from webgis.core.errors import NotFound, WebgisError
from webgis.core.extensions import db
from webgis.core.text import lazy_text as _l
from webgis.geography.models import City, ServiceArea

#: Roles in increasing power; the public is anonymous and has no account.
ROLES = ("organiser", "planner", "admin")
ROLE_LABELS = {
    "organiser": _l("organizator"),
    "planner": _l("planista"),
    "admin": _l("administrator"),
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10

user_areas = Table(
    "user_areas",
    db.Model.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "service_area_id",
        ForeignKey("service_areas.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):
    """A person who signs in: an organiser of some areas, a planner or an admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    areas: Mapped[list[ServiceArea]] = relationship(
        secondary=user_areas, order_by="ServiceArea.sort_key"
    )

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot sign in and lose their session at once."""
        return self.active

    @property
    def role_label(self) -> str:
        """The role in the interface language."""
        return str(ROLE_LABELS[self.role])

    @property
    def sees_everything(self) -> bool:
        """Planners and admins read drafts and analyses of every area."""
        return self.role in ("planner", "admin")

    def area_refs(self) -> list[str]:
        """The user's areas as ``city:CODE`` strings, as the CLI takes them."""
        return [f"{a.city.code}:{a.code}" for a in self.areas]


class UserSession(db.Model):
    """One sign-in of a user, alive until something ends it.

    Logout, a new sign-in in the same browser, a change of the password and
    deactivation end it. The browser holds a random token; only its hash is stored,
    so a copy of this table signs nobody in.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)


@cache
def _dummy_hash() -> str:
    # Checked when the e-mail is unknown, so a failed login costs the same either
    # way; made at the first failed login, not when the module is imported.
    return generate_password_hash("not a real password")


def normalise_email(email: str) -> str:
    """Lower-case, trimmed e-mail; refuses what is not an address."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise WebgisError(_l("Niepoprawny adres e-mail: %(email)s", email=email))
    return email


def generate_password() -> str:
    """A random password to hand over once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password or "") < MIN_PASSWORD:
        raise WebgisError(
            _l("Hasło musi mieć co najmniej %(n)s znaków.", n=MIN_PASSWORD)
        )


def find_areas(refs: list[str]) -> list[ServiceArea]:
    """Service areas named ``city:CODE`` (e.g. ``wroclaw:ZTPS-7``)."""
    areas = []
    for ref in refs:
        city_code, _, code = ref.partition(":")
        area = db.session.scalar(
            select(ServiceArea)
            .join(City)
            .where(City.code == city_code, ServiceArea.code == code)
        )
        if area is None:
            raise NotFound(_l("Nie ma obszaru %(ref)s.", ref=ref))
        areas.append(area)
    return areas


def get_user(user_id: int) -> User | None:
    """The user with this id (for Flask-Login's session loader)."""
    return db.session.get(User, user_id)


def get_user_by_email(email: str) -> User:
    """The user with this e-mail, or :class:`NotFound`."""
    user = db.session.scalar(
        select(User).where(User.email == (email or "").strip().lower())
    )
    if user is None:
        raise NotFound(_l("Nie ma użytkownika %(email)s.", email=email))
    return user


def list_users() -> list[User]:
    """All accounts, active first, by e-mail."""
    return list(
        db.session.scalars(select(User).order_by(User.active.desc(), User.email))
    )


def create_user(
    email: str,
    role: str,
    display_name: str = "",
    password: str | None = None,
    areas: list[ServiceArea] = (),
) -> tuple[User, str]:
    """Add an account; returns it with its password (generated when not given).

    The caller commits. Organisers need at least one area; others have none.
    """
    email = normalise_email(email)
    check_role_and_areas(role, areas)
    if db.session.scalar(select(func.count()).where(User.email == email)):
        raise WebgisError(_l("Użytkownik %(email)s już istnieje.", email=email))
    password = password or generate_password()
    check_password_strength(password)
    user = User(
        email=email,
        display_name=(display_name or "").strip() or email.split("@")[0],
        role=role,
        password_hash=generate_password_hash(password),
        areas=list(areas) if role == "organiser" else [],
    )
    db.session.add(user)
    return user, password


def check_role_and_areas(role: str, areas) -> None:
    """Organisers work in named areas; planners and admins everywhere."""
    if role not in ROLES:
        raise WebgisError(
            _l(
                "Nieznana rola %(role)s; dostępne: %(roles)s.",
                role=role,
                roles=", ".join(ROLES),
            )
        )
    if role == "organiser" and not areas:
        raise WebgisError(
            _l("Organizator musi mieć przypisany co najmniej jeden obszar.")
        )


def set_password(user: User, password: str | None = None) -> str:
    """Replace a user's password (a generated one when not given) and return it."""
    password = password or generate_password()
    check_password_strength(password)
    user.password_hash = generate_password_hash(password)
    return password


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = db.session.scalar(
        select(User).where(User.email == (email or "").strip().lower())
    )
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user if user.active else None


def sign_in(
    email: str, password: str, replacing: str | None = None
) -> tuple[User, str] | None:
    """Check credentials and open a session; the attempt goes to the audit log.

    Returns the user with the new session's token for the browser, or None. The
    session ``replacing`` (the browser's previous one, if any) ends.
    """
    user = authenticate(email, password)
    if user is None:
        audit.record("login.failure", (email or "")[:200], actor=(email or "")[:254])
        db.session.commit()
        return None
    end_session(replacing)
    token = _open_session(user)
    audit.record("login.success", user.email, actor=user)
    db.session.commit()
    return user, token


def sign_out(user: User, token: str | None) -> None:
    """End the browser's session, so a saved copy of its cookie no longer works."""
    end_session(token)
    audit.record("logout", user.email, actor=user)
    db.session.commit()


def session_user(user_id: int, token: str | None) -> User | None:
    """The active user whose live session the browser's token names, or None.

    One query per request: the session and the account are checked together.
    """
    if not token:
        return None
    return db.session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.active,
            UserSession.token_hash == _token_hash(token),
        )
    )


def end_session(token: str | None) -> None:
    """End the session of this token, if it is still live (the caller commits)."""
    if token:
        db.session.execute(
            delete(UserSession).where(UserSession.token_hash == _token_hash(token))
        )


def end_sessions(user: User, keeping: str | None = None) -> None:
    """End every session of the user but the one of ``keeping`` (the caller commits)."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keeping:
        query = query.where(UserSession.token_hash != _token_hash(keeping))
    db.session.execute(query)


def _open_session(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_token_hash(token)))
    return token


def _token_hash(token: str) -> str:
    # The token is 256 random bits, so a fast hash cannot be reversed by guessing.
    return hashlib.sha256(token.encode()).hexdigest()


def save_user(
    user: User | None,
    email: str,
    role: str,
    display_name: str,
    areas: list[ServiceArea],
    active: bool = True,
) -> tuple[User, str | None]:
    """Create (``user`` None) or update an account, recorded in the audit log.

    Returns the user and, for a new account, its generated password to hand over once.
    """
    password = None
    if user is None:
        user, password = create_user(email, role, display_name, areas=areas)
        action = "users.create"
    else:
        check_role_and_areas(role, areas)
        email = normalise_email(email)
        taken = db.session.scalar(
            select(func.count()).where(User.email == email, User.id != user.id)
        )
        if taken:
            raise WebgisError(_l("Użytkownik %(email)s już istnieje.", email=email))
        user.email, user.role, user.active = email, role, active
        if not active:
            # Reactivating the account later must not revive its old sessions.
            end_sessions(user)
        user.display_name = (display_name or "").strip() or email.split("@")[0]
        user.areas = list(areas) if role == "organiser" else []
        action = "users.update"
    db.session.flush()
    audit.record(action, user.email, f"{role} {' '.join(user.area_refs())}".strip())
    db.session.commit()
    return user, password


def reset_password(user: User) -> str:
    """Give the user a new generated password and sign them out everywhere.

    Recorded in the audit log; whoever held the old password or a session loses it.
    """
    password = set_password(user)
    end_sessions(user)
    audit.record("users.password", user.email)
    db.session.commit()
    return password


def change_own_password(
    user: User, current: str, new: str, repeated: str, keeping: str | None
) -> None:
    """Let a signed-in user replace their password; their other sessions end.

    Refused, with nothing changed, when the current password is wrong, the new one
    is not typed twice the same, or it is too short. ``keeping`` is the token of the
    session that asks, which stays signed in. The audit log records the change,
    never the password.
    """
    if not check_password_hash(user.password_hash, current or ""):
        raise WebgisError(_l("Obecne hasło jest nieprawidłowe."))
    if new != repeated:
        raise WebgisError(_l("Nowe hasło i jego powtórzenie się różnią."))
    check_password_strength(new)
    user.password_hash = generate_password_hash(new)
    end_sessions(user, keeping=keeping)
    audit.record("account.password", user.email, actor=user)
    db.session.commit()
