"""Web forms (Flask-WTF): CSRF-protected, validated on the server, labels translated."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FloatField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from webgis.accounts import ROLE_LABELS


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Hasło"), validators=[DataRequired()])


class UserForm(FlaskForm):
    """An account as an administrator edits it."""

    # The address itself is checked in webgis.accounts (one rule for CLI and web).
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Imię i nazwisko lub nazwa"), [Length(max=120)])
    role = SelectField(
        _l("Rola"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()]
    )
    areas = SelectMultipleField(_l("Obszary (dla organizatora)"), choices=[])
    active = BooleanField(_l("Konto aktywne"), default=True)


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class NewAreaForm(FlaskForm):
    """A new, empty service area."""

    code = StringField(_l("Kod"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Nazwa"), validators=[DataRequired(), Length(max=200)])


class TermForm(FlaskForm):
    """A vocabulary term's labels in the three interface languages."""

    key = StringField(_l("Klucz"), validators=[Optional(), Length(max=60)])
    label_pl = StringField(_l("Polski"), validators=[DataRequired(), Length(max=200)])
    label_en = StringField(
        _l("Angielski"), validators=[DataRequired(), Length(max=200)]
    )
    label_uk = StringField(
        _l("Ukraiński"), validators=[DataRequired(), Length(max=200)]
    )
    active = BooleanField(_l("W użyciu"), default=True)


class AcceptForm(FlaskForm):
    """Accept a suggestion, with the chance to correct its text and place first."""

    title = StringField(_l("Tytuł"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Opis"), validators=[Length(max=4000)])
    latitude = FloatField(
        _l("Szerokość geograficzna"), validators=[InputRequired(), NumberRange(-90, 90)]
    )
    longitude = FloatField(
        _l("Długość geograficzna"),
        validators=[InputRequired(), NumberRange(-180, 180)],
    )


class RejectForm(FlaskForm):
    """Reject a suggestion; the reason is required."""

    reason = TextAreaField(
        _l("Powód odrzucenia"), validators=[DataRequired(), Length(max=1000)]
    )


class SuggestionForm(FlaskForm):
    """A resident's suggestion of a need or a resource; no personal data is asked.

    ``website`` is a honeypot: hidden from people, filled in by form-filling bots.
    """

    kind = SelectField(
        _l("Co zgłaszasz?"),
        choices=[
            SelectChoice("need", _l("potrzebę")),
            SelectChoice("resource", _l("zasób (miejsce, pomoc)")),
        ],
    )
    title = StringField(
        _l("Krótki tytuł"), validators=[DataRequired(), Length(max=200)]
    )
    category = SelectField(_l("Obszar życia"), choices=[], validators=[DataRequired()])
    description = TextAreaField(_l("Opis"), validators=[Length(max=4000)])
    unit = SelectField(_l("Osiedle lub dzielnica"), choices=[], validators=[Optional()])
    latitude = FloatField(
        _l("Szerokość geograficzna"), validators=[Optional(), NumberRange(49, 55)]
    )
    longitude = FloatField(
        _l("Długość geograficzna"), validators=[Optional(), NumberRange(14, 24.2)]
    )
    website = StringField(_l("Nie wypełniaj tego pola"))
