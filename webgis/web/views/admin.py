"""Administration: accounts, which units make up which area, vocabularies, audit log."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from wtforms import SelectChoice

from webgis.accounts import users
from webgis.accounts.permissions import role_required
from webgis.core import audit
from webgis.core.errors import NotFound, WebgisError
from webgis.core.extensions import db
from webgis.features import vocabularies
from webgis.geography import cities
from webgis.web.forms import (
    ConfirmForm,
    NewAreaForm,
    TermForm,
    UserForm,
    checks_own_token,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def _admins_only():
    """Every page here is for administrators; others get 403, anonymous a login."""


def _area_choices():
    return [
        SelectChoice(f"{a.city.code}:{a.code}", a.name, optgroup=city.name)
        for city in cities.list_cities()
        for a in city.service_areas
    ]


def _user_form(user=None) -> UserForm:
    form = UserForm(obj=user) if request.method == "GET" and user else UserForm()
    form.areas.choices = _area_choices()
    if request.method == "GET" and user:
        form.areas.data = user.area_refs()
    return form


@bp.route("/users", methods=["GET", "POST"], endpoint="users")
@checks_own_token
def user_list():
    """List accounts and create one; a new password is shown once."""
    form = _user_form()
    if form.validate_on_submit():
        try:
            user, password = users.save_user(
                None,
                form.email.data,
                form.role.data,
                form.display_name.data,
                users.find_areas(form.areas.data),
            )
        except WebgisError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(
                _(
                    "Utworzono konto %(email)s. Hasło (pokazywane tylko raz): %(pw)s",
                    email=user.email,
                    pw=password,
                ),
                "success",
            )
            return redirect(url_for("admin.users"), code=303)
    status = 422 if form.errors or request.method == "POST" else 200
    return render_template(
        "admin/users.html", users=users.list_users(), form=form
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@checks_own_token
def user(user_id: int):
    """Edit one account: role, areas, deactivation; reset its password."""
    account = users.get_user(user_id)
    if account is None:
        raise WebgisError(_("Nie ma takiego użytkownika."))
    form = _user_form(account)
    if form.validate_on_submit():
        try:
            users.save_user(
                account,
                form.email.data,
                form.role.data,
                form.display_name.data,
                users.find_areas(form.areas.data),
                form.active.data,
            )
        except WebgisError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("Zapisano zmiany."), "success")
            return redirect(url_for("admin.user", user_id=user_id), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/user.html", account=account, form=form, reset_form=ConfirmForm()
    ), status


@bp.post("/users/<int:user_id>/password")
def reset_password(user_id: int):
    """Generate a new password for the account and show it once."""
    account = users.get_user(user_id)
    if account is None or not ConfirmForm().validate_on_submit():
        raise WebgisError(_("Nie można zmienić hasła."))
    password = users.reset_password(account)
    flash(
        _(
            "Nowe hasło dla %(email)s (pokazywane tylko raz): %(pw)s",
            email=account.email,
            pw=password,
        ),
        "success",
    )
    return redirect(url_for("admin.user", user_id=user_id), code=303)


@bp.route("/<city_code>/service-areas", methods=["GET", "POST"])
def assignment(city_code: str):
    """Move units between service areas; add or remove (empty) areas."""
    city = cities.get_city(city_code)
    form, new_area = ConfirmForm(), NewAreaForm(prefix="new")
    if request.method == "POST" and form.validate_on_submit():
        wanted = {
            unit.number: request.form.get(f"unit-{unit.number}") or None
            for unit in city.units
            if f"unit-{unit.number}" in request.form
        }
        try:
            moved = cities.reassign_units(city, wanted)
        except WebgisError as error:
            flash(str(error), "error")
            return render_template(
                "admin/assignment.html", city=city, form=form, new_area=new_area
            ), 422
        flash(_("Przeniesiono jednostek: %(n)s.", n=len(moved)), "success")
        return redirect(url_for("admin.assignment", city_code=city_code), code=303)
    return render_template(
        "admin/assignment.html", city=city, form=form, new_area=new_area
    ), (422 if request.method == "POST" else 200)


@bp.post("/<city_code>/service-areas/new")
def add_area(city_code: str):
    """Create an empty service area to move units into."""
    city = cities.get_city(city_code)
    new_area = NewAreaForm(prefix="new")
    if new_area.validate_on_submit():
        try:
            cities.add_service_area(city, new_area.code.data, new_area.name.data)
        except WebgisError as error:
            flash(str(error), "error")
        else:
            flash(_("Dodano obszar %(code)s.", code=new_area.code.data), "success")
    else:
        flash(_("Podaj kod i nazwę obszaru."), "error")
    return redirect(url_for("admin.assignment", city_code=city_code), code=303)


@bp.post("/<city_code>/service-areas/<area_code>/delete")
def remove_area(city_code: str, area_code: str):
    """Delete a service area that has no units left."""
    city = cities.get_city(city_code)
    if not ConfirmForm().validate_on_submit():
        raise WebgisError(_("Formularz wygasł; spróbuj ponownie."))
    try:
        cities.remove_service_area(city, area_code)
    except WebgisError as error:
        flash(str(error), "error")
    else:
        flash(_("Usunięto obszar %(code)s.", code=area_code), "success")
    return redirect(url_for("admin.assignment", city_code=city_code), code=303)


@bp.route("/vocabularies", methods=["GET", "POST"])
@checks_own_token
def vocabulary_list():
    """Every vocabulary with its terms in three languages; edit or add terms."""
    form = TermForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            labels = {
                "pl": form.label_pl.data,
                "en": form.label_en.data,
                "uk": form.label_uk.data,
            }
            try:
                term_id = request.form.get("term_id", "")
                if term_id:
                    vocabularies.update_term(_number(term_id), labels, form.active.data)
                else:
                    vocabularies.add_term(
                        request.form.get("vocabulary", ""), form.key.data or "", labels
                    )
            except WebgisError as error:
                db.session.rollback()
                flash(str(error), "error")
                status = 422
            else:
                flash(_("Zapisano słownik."), "success")
                return redirect(url_for("admin.vocabulary_list"), code=303)
        else:
            if form.errors:  # an expired form has said so itself
                flash(_("Wypełnij etykiety we wszystkich trzech językach."), "error")
            status = 422
    return render_template(
        "admin/vocabularies.html",
        vocabularies={
            key: (title, vocabularies.terms(key, include_inactive=True))
            for key, title in vocabularies.VOCABULARIES.items()
        },
        form=form,
    ), status


def _number(text: str) -> int:
    """A record id from a form, or :class:`NotFound` for anything else."""
    if not (text.isascii() and text.isdigit() and len(text) < 12):
        raise NotFound(_("Nie ma takiego pojęcia."))
    return int(text)


@bp.get("/audit")
def audit_log():
    """The latest recorded actions, optionally of one kind."""
    action = request.args.get("action") or None
    return render_template(
        "admin/audit.html", entries=audit.recent(action=action), action=action
    )


@bp.get("/embed")
def embed_snippets():
    """Copy-paste iframe code that puts a city's finder on another website."""
    return render_template("admin/embed.html")


@bp.context_processor
def _admin_context():
    return {"admin_cities": cities.list_cities()}
