"""Web forms (Flask-WTF): CSRF-protected, validated on the server, labels translated."""

import math
from datetime import date
from functools import wraps

from flask import flash, g, make_response, request
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

from webgis.accounts.users import ROLE_LABELS
from webgis.analysis.coverage import INDICATORS, Hypothetical
from webgis.core import audit
from webgis.core.extensions import csrf, db
from webgis.core.text import LazyText, lazy_translated
from webgis.core.text import lazy_text as _l
from webgis.features.contacts import shown_phone


class WebgisForm(FlaskForm):
    """A form whose expired or missing CSRF token is a message, not an error page.

    Views marked with :func:`checks_own_token` validate the token through their form:
    a stale one (a form left open too long) re-shows the form with what was typed, a
    fresh token and this message, and the attempt is audited.
    """

    def validate(self, extra_validators=None) -> bool:
        """Validate the fields; say so plainly when the CSRF token did not hold."""
        token = getattr(self, "csrf_token", None)
        if token is not None and not token.data:
            # A prefixed form also takes the page's plain token, as the app-wide
            # check does.
            token.data = request.form.get("csrf_token") or request.headers.get(
                "X-CSRFToken"
            )
        valid = super().validate(extra_validators)
        if token is not None and token.errors:
            token.errors = []
            g.csrf_failed = True
            flash(EXPIRED_FORM_MESSAGE, "error")
            audit.record("csrf.failure", request.path[:200])
            db.session.commit()
        return valid


#: Shown when a form's CSRF token is missing or too old; nothing was saved.
EXPIRED_FORM_MESSAGE = _l(
    "Formularz wygasł (był otwarty zbyt długo) albo przyszedł z innej strony; nic "
    "nie zostało zapisane. Sprawdź wpisane dane i wyślij je jeszcze raz."
)


def checks_own_token(view):
    """Let a view's own form check the CSRF token instead of the app-wide check.

    Only for views that act after ``validate_on_submit()`` alone: a bad token then
    re-shows the form with what was typed rather than a bare error page, with the
    status 400 that the app-wide check answers.
    """

    @wraps(view)
    def checked(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        if g.get("csrf_failed"):
            response.status_code = 400
        return response

    return csrf.exempt(checked)


class LoginForm(WebgisForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Hasło"), validators=[DataRequired()])


class UserForm(WebgisForm):
    """An account as an administrator edits it."""

    # The address itself is checked in webgis.accounts (one rule for CLI and web).
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    display_name = StringField(_l("Imię i nazwisko lub nazwa"), [Length(max=120)])
    role = SelectField(
        _l("Rola"), choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()]
    )
    areas = SelectMultipleField(_l("Obszary (dla organizatora)"), choices=[])
    active = BooleanField(_l("Konto aktywne"), default=True)


class ConfirmForm(WebgisForm):
    """A button that changes something: only the CSRF token."""


class NewAreaForm(WebgisForm):
    """A new, empty service area."""

    code = StringField(_l("Kod"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Nazwa"), validators=[DataRequired(), Length(max=200)])


class TermForm(WebgisForm):
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


class AcceptForm(WebgisForm):
    """Accept a suggestion, with the chance to correct its text and place first.

    The view offers the category field's choices; ``public`` applies to needs,
    which stay internal unless the moderator shows them publicly.
    """

    title = StringField(_l("Tytuł"), validators=[DataRequired(), Length(max=200)])
    # Whether a category is required is the layer's rule, checked by the store.
    category = SelectField(_l("Obszar życia"), choices=[], validators=[Optional()])
    description = TextAreaField(_l("Opis"), validators=[Length(max=4000)])
    public = BooleanField(_l("Pokazuj publicznie"))
    latitude = FloatField(
        _l("Szerokość geograficzna"), validators=[InputRequired(), NumberRange(-90, 90)]
    )
    longitude = FloatField(
        _l("Długość geograficzna"),
        validators=[InputRequired(), NumberRange(-180, 180)],
    )


class RejectForm(WebgisForm):
    """Reject a suggestion; the reason is required."""

    reason = TextAreaField(
        _l("Powód odrzucenia"), validators=[DataRequired(), Length(max=1000)]
    )


#: How the suggestion form names a need and a resource.
NEED_OR_RESOURCE = (_l("potrzebę"), _l("zasób (miejsce, pomoc)"))


class SuggestionForm(WebgisForm):
    """A resident's suggestion of a need or a resource; no personal data is asked.

    ``website`` is a honeypot: hidden from people, filled in by form-filling bots.
    """

    # The view offers the suggestion layer's need and resource (NEED_OR_RESOURCE).
    kind = SelectField(_l("Co zgłaszasz?"), choices=[])
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


def example_place() -> str:
    """The middle of the page's city as "latitude, longitude", for help texts.

    Examples in Wrocław's coordinates would point a Kraków planner at another city.
    """
    from webgis.core.errors import NotFound
    from webgis.geography import cities

    try:
        city = cities.get_city((request.view_args or {}).get("city_code") or "")
    except NotFound:
        city = None
    return ", ".join(cities.example_point(city))


class AnalysisForm(WebgisForm):
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
        choices=[SelectChoice(k, lazy_translated(v)) for k, v in INDICATORS.items()],
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
        description=LazyText(
            lambda: _l(
                "Jedna w wierszu: szerokość, długość, liczba miejsc "
                "(np. %(example)s, 30). Kliknij mapę, aby dodać punkt.",
                example=example_place(),
            )
        ),
    )

    def validate_category(self, field) -> None:
        """Only a category of the chosen layer (an empty one means all)."""
        known = {choice.value for choice in field.choices}
        if field.data and field.data not in known:
            raise ValidationError(_l("Nieznana kategoria tej warstwy."))

    def validate_when(self, field) -> None:
        """A day whose state the history can tell: not after today."""
        if field.data and field.data > date.today():
            raise ValidationError(_l("Data nie może być z przyszłości."))

    def validate_compare_to(self, field) -> None:
        """A comparison needs a different day, not after today."""
        self.validate_when(field)
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
                    "liczbę miejsc (od 0 do %(max)s), np. %(example)s, 30.",
                    max=MAX_HYPOTHETICAL_PLACES,
                    example=example_place(),
                    lines=", ".join(map(str, problems)),
                )
            )

    _facilities: tuple[Hypothetical, ...] = ()


#: The most places a hypothetical facility may have (as many as a real one).
MAX_HYPOTHETICAL_PLACES = 10_000


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
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(line)
    if not 0 <= (capacity or 0) <= MAX_HYPOTHETICAL_PLACES:
        raise ValueError(line)
    return Hypothetical(lat, lon, capacity)


class PasswordChangeForm(WebgisForm):
    """A signed-in user's new password, typed twice, confirmed by the current one.

    The rules (right current password, same twice, long enough) live in
    ``webgis.accounts.change_own_password``, one place for every caller.
    """

    current_password = PasswordField(
        _l("Obecne hasło"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("Nowe hasło"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    new_password_repeated = PasswordField(
        _l("Powtórz nowe hasło"),
        validators=[DataRequired()],
        render_kw={"autocomplete": "new-password"},
    )


class PhoneField(StringField):
    """A phone number shown as people write it; it is stored as E.164."""

    def _value(self):
        return shown_phone(self.data) if self.data else ""


class OrganisationForm(WebgisForm):
    """An organisation's details as an administrator corrects them.

    The rules (a distinct name, well-formed contacts) live in
    ``webgis.features.organisations.update``, one place for every caller.
    """

    name = StringField(_l("Nazwa"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Opis"), validators=[Length(max=5000)])
    website = StringField(_l("Strona internetowa"), validators=[Length(max=300)])
    email = StringField(_l("E-mail"), validators=[Length(max=254)])
    phone = PhoneField(_l("Telefon"), validators=[Length(max=40)])
