"""The tools a manager reaches for: downloads in one place, the audit log, adding a household by hand,
moving many households to another cadre, editing people."""
from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _
from marshmallow import ValidationError

from ..auth import services as auth
from ..coverage.periods import zone
from ..errors import Problem
from ..extensions import db
from ..households import services as household_services
from ..households.models import CATEGORIES
from ..households.schemas import HouseholdCreateSchema
from ..pagination import web_page_number
from ..surveys import services as surveys
from . import services, tools
from .common import bp, manager_page
from .form_errors import field_errors

PAGE_SIZE = 100


@bp.route("/exports")
@manager_page
def exports(user):
    """Every download in one place, with the period and area they cover."""
    f_period = request.args.get("period", "")
    choices = services.period_choices(datetime.now(zone()).date())
    period = f_period or choices[0][0]
    area = request.args.get("area", "")
    query = {"period": period, **({"area": area} if area else {}), "labels": str(get_locale() or "zh")}
    return render_template("web/exports.html", user=user, choices=choices, period=period, area=area, query=query,
                           areas=services.filter_choices(user)["areas"],
                           forms=[v for v in surveys.list_forms(include_closed=True)])


@bp.route("/audit")
@manager_page
def audit_log(user):
    """Who did what, newest first (admins: everything; managers: what people of their area did)."""
    action = request.args.get("action", "").strip()[:64] or None
    person = request.args.get("person", type=int)
    page = db.paginate(tools.list_audit(user, action=action, person_id=person),
                       page=web_page_number(request.args.get("page", 1, type=int)), per_page=PAGE_SIZE,
                       error_out=False)
    return render_template("web/audit.html", user=user, page=page, action=action or "", person=person,
                           names=tools.actor_names(page.items),
                           actions=tools.audit_actions(), people=auth.list_users(user))


@bp.route("/households/new", methods=["GET", "POST"])
@manager_page
def household_new(user):
    """Add one household by hand; errors shown beside the fields, what was typed kept."""
    errors = {}
    if request.method == "POST":
        data = {k: v.strip() for k, v in request.form.items() if k not in ("csrf_token", "cadre_id") and v.strip()}
        try:
            household = household_services.create_household(user, HouseholdCreateSchema().load(data))
            cadre_id = request.form.get("cadre_id", type=int)
            if cadre_id:
                household_services.link_cadre(household, cadre_id, actor=user)
        except ValidationError as exc:
            errors = field_errors(exc.messages)
        except Problem as exc:
            db.session.rollback()
            errors = {exc.details.get("field") or "code": [exc.message]}
        else:
            db.session.commit()
            flash(_("Household %(code)s added.", code=household.code), "ok")
            return redirect(url_for("web.household", household_id=household.id))
    return render_template("web/household_new.html", user=user, errors=errors, categories=CATEGORIES,
                           areas=services.filter_choices(user)["areas"],
                           cadres=auth.list_users(user, "cadre")), (422 if errors else 200)


@bp.route("/households/relink", methods=["POST"])
@manager_page
def households_relink(user):
    """Move the ticked households to one cadre (or none); each link kept in history."""
    ids = [int(i) for i in request.form.getlist("household") if i.isdigit()]
    cadre_id = request.form.get("cadre_id", type=int)
    try:
        changed = tools.relink_households(user, ids, cadre_id)
    except Problem as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("%(n)s households linked to the new cadre.", n=changed), "ok")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/") and not back.startswith("//") else url_for("web.households"), 303)


@bp.route("/users/<int:user_id>/edit", methods=["POST"])
@manager_page
def user_edit(user, user_id):
    """Name, phone, area and active state of a person in scope."""
    person = services.get_user_in_scope(user, user_id)
    area_id = request.form.get("area_id", type=int)
    try:
        tools.update_person(user, person, display_name=request.form.get("display_name", "").strip() or None,
                            phone=request.form.get("phone", "").strip(), area_id=area_id,
                            is_active="is_active" in request.form)
    except Problem as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Saved."), "ok")
    return redirect(url_for("web.user", user_id=person.id), 303)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@manager_page
def user_password(user, user_id):
    """Set a new password for a person in scope (tell them by phone; they sign in with it)."""
    person = services.get_user_in_scope(user, user_id)
    try:
        tools.reset_password(user, person, request.form.get("password", ""))
    except Problem as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(_("Password changed."), "ok")
    return redirect(url_for("web.user", user_id=person.id), 303)

