"""Web forms (Flask-WTF): CSRF-protected, validated on the server, labels translated."""

import math

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FloatField,
    IntegerField,
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
    ValidationError,
)

from webgis.accounts import ROLE_LABELS
from webgis.coverage import INDICATORS, Hypothetical


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


SCHEME_LABELS = {
    "quantiles": _l("kwantyle (tyle samo jednostek w każdej klasie)"),
    "natural_breaks": _l("naturalne przerwy (Fisher-Jenks)"),
    "equal_interval": _l("równe przedziały"),
}


class AnalysisForm(FlaskForm):
    """What a planner asks of the coverage analysis; read-only, so sent by GET.

    The layer and category choices depend on the city and are set by the view.
    """

    class Meta:
        """A GET form that changes nothing: a shareable URL, no token to expire."""

        csrf = False

    layer = SelectField(_l("Warstwa"), choices=[])
    category = SelectField(_l("Kategoria lub typ"), choices=[], validate_choice=False)
    radius = IntegerField(
        _l("Promień zasięgu R (m)"),
        default=1000,
        validators=[InputRequired(), NumberRange(50, 20_000)],
    )
    when = DateField(_l("Stan na dzień"), validators=[Optional()])
    compare_to = DateField(_l("Porównaj ze stanem na dzień"), validators=[Optional()])
    indicator = SelectField(
        _l("Wskaźnik na mapie"),
        choices=[SelectChoice(k, _l(v)) for k, v in INDICATORS.items()],
        default="coverage_share",
    )
    scheme = SelectField(
        _l("Klasyfikacja"),
        choices=[SelectChoice(k, v) for k, v in SCHEME_LABELS.items()],
        default="quantiles",
    )
    classes = IntegerField(
        _l("Liczba klas"), default=5, validators=[InputRequired(), NumberRange(2, 7)]
    )
    hypothetical = TextAreaField(
        _l("Hipotetyczne placówki"),
        validators=[Optional(), Length(max=4000)],
        description=_l(
            "Jedna w wierszu: szerokość, długość, liczba miejsc "
            "(np. 51.11, 17.03, 30). Kliknij mapę, aby dodać punkt."
        ),
    )

    def validate_category(self, field) -> None:
        """Only a category of the chosen layer (an empty one means all)."""
        known = {choice.value for choice in field.choices}
        if field.data and field.data not in known:
            raise ValidationError(_l("Nieznana kategoria tej warstwy."))

    def validate_compare_to(self, field) -> None:
        """A comparison needs a different date."""
        if field.data and field.data == self.when.data:
            raise ValidationError(_l("Wybierz inny dzień niż „Stan na dzień”."))

    def hypothetical_facilities(self) -> tuple[Hypothetical, ...]:
        """The parsed hypothetical facilities; call after :meth:`validate`."""
        return self._facilities

    def validate_hypothetical(self, field) -> None:
        """Each line: latitude, longitude and an optional capacity."""
        facilities, problems = [], []
        for number, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                facilities.append(_hypothetical(line))
            except ValueError:
                problems.append(number)
        self._facilities = tuple(facilities)
        if problems:
            raise ValidationError(
                _l(
                    "Nie rozumiem wiersza %(lines)s: podaj szerokość, długość i "
                    "liczbę miejsc, np. 51.11, 17.03, 30.",
                    lines=", ".join(map(str, problems)),
                )
            )

    _facilities: tuple[Hypothetical, ...] = ()


def _hypothetical(line: str) -> Hypothetical:
    """``lat, lon[, capacity]`` with decimal points; ValueError when it is not."""
    parts = [p.strip() for p in line.replace(";", ",").split(",")]
    if len(parts) not in (2, 3):
        raise ValueError(line)
    lat, lon = float(parts[0]), float(parts[1])
    capacity = float(parts[2]) if len(parts) == 3 and parts[2] else None
    numbers = (lat, lon) if capacity is None else (lat, lon, capacity)
    if not all(map(math.isfinite, numbers)):
        raise ValueError(line)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (capacity or 0) < 0:
        raise ValueError(line)
    return Hypothetical(lat, lon, capacity)
