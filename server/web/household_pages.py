"""Household pages: list, detail with visit history, edit, link to a cadre, import."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import services as auth
from ..errors import BadRequest, ImportRejected
from ..extensions import db
from ..pagination import web_page_number
from ..households import importer, services as household_services
from ..households.models import CATEGORIES
from ..households.schemas import HouseholdUpdateSchema
from . import services
from .common import bp, manager_page

PAGE_SIZE = 50
EDIT_FIELDS = ("code", "address", "head_name", "phone", "size", "category", "lat", "lon")


@bp.route("/households")
@manager_page
def households(user):
    """Households in scope, searchable, a page at a time."""
    q = request.args.get("q", "").strip()[:100] or None
    page = db.paginate(household_services.list_households(user, q=q), page=web_page_number(request.args.get("page", 1, type=int)),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("web/households.html", user=user, page=page, q=q or "")


@bp.route("/households/<int:household_id>")
@manager_page
def household(user, household_id):
    """One household: details, its cadre and link history, its visits on a small map."""
    return household_page(user, household_services.get_in_scope(user, household_id))


def household_page(user, item, errors=None, status=200):
    visits = services.list_household_visits(user, item)
    return render_template("web/household.html", user=user, household=item,
                           assignments=household_services.list_assignments(item), visits=visits,
                           visits_geo=services.visit_points(visits),
                           cadres=auth.list_users(user, "cadre"), categories=CATEGORIES,
                           errors=errors or {}, tiles=tile_config()), status


@bp.route("/households/<int:household_id>/edit", methods=["POST"])
@manager_page
def household_edit(user, household_id):
    """Save the edit form; field errors are shown on the page."""
    item = household_services.get_in_scope(user, household_id)
    try:
        data = HouseholdUpdateSchema().load(edit_form(request.form))
    except ValidationError as exc:
        return household_page(user, item, exc.messages, 422)
    household_services.update_household(user, item, data)
    db.session.commit()
    flash(_("Household saved."), "ok")
    return redirect(url_for("web.household", household_id=item.id))


def edit_form(form) -> dict:
    """The edit form as the API's update schema expects it: empty optional fields become null."""
    data = {k: form[k].strip() for k in EDIT_FIELDS if k in form}
    for key in ("phone", "size", "lat", "lon"):
        if data.get(key) == "":
            data[key] = None
    for key in ("code", "category"):
        if data.get(key) == "":
            del data[key]
    data["is_active"] = "is_active" in form
    return data


@bp.route("/households/<int:household_id>/assign", methods=["POST"])
@manager_page
def household_assign(user, household_id):
    """Link the household to another cadre (or none); the old link is kept in history."""
    item = household_services.get_in_scope(user, household_id)
    cadre_id = request.form.get("cadre_id", type=int)
    household_services.link_cadre(item, cadre_id, actor=user)
    db.session.commit()
    flash(_("Cadre link saved."), "ok")
    return redirect(url_for("web.household", household_id=item.id))


@bp.route("/households/import", methods=["GET", "POST"])
@manager_page
def household_import(user):
    """Upload a CSV or XLSX; every bad row is listed, nothing imported unless skipping them."""
    if request.method == "GET":
        return render_template("web/household_import.html", user=user, columns=importer.COLUMNS)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(_("Choose a .csv or .xlsx file."))
    try:
        result = importer.import_households(user, upload.filename, upload.read(),
                                            skip_errors="skip_errors" in request.form)
    except ImportRejected as exc:
        return render_template("web/household_import.html", user=user, columns=importer.COLUMNS,
                               rejected=exc.details.get("errors", []), filename=upload.filename), 400
    db.session.commit()
    return render_template("web/household_import.html", user=user, columns=importer.COLUMNS,
                           result=result, filename=upload.filename)


def tile_config() -> dict:
    """Map tiles as configured (URL, attribution, WGS-84 or GCJ-02)."""
    config = current_app.config
    return {"url": config["TILE_URL"], "attribution": config["TILE_ATTRIBUTION"],
            "crs": config.get("TILE_CRS", "wgs84")}
