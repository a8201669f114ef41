"""Household pages: list, detail with visit history, edit, link to a cadre, import."""
from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import services as auth
from ..errors import BadRequest, ImportRejected, Problem
from ..extensions import db
from ..pagination import web_page_number
from ..households import importer, services as household_services
from ..households.models import CATEGORIES
from ..households.schemas import HouseholdUpdateSchema
from . import services, tools
from .common import bp, manager_page
from .form_errors import field_errors, problem_text

PAGE_SIZE = 50
EDIT_FIELDS = ("code", "address", "head_name", "phone", "size", "category", "lat", "lon")


@bp.route("/households")
@manager_page
def households(user):
    """Households in scope, searchable, a page at a time."""
    q = request.args.get("q", "").strip()[:100] or None
    filters = {"area_id": request.args.get("area", type=int), "cadre_id": request.args.get("cadre", type=int),
               "category": request.args.get("category") if request.args.get("category") in CATEGORIES else None}
    filters = {k: v for k, v in filters.items() if v}
    page = db.paginate(household_services.list_households(user, q=q, **filters),
                       page=web_page_number(request.args.get("page", 1, type=int)), per_page=PAGE_SIZE, error_out=False)
    return render_template("web/households.html", user=user, page=page, q=q or "", filters=filters,
                           categories=CATEGORIES, choices=services.filter_choices(user),
                           cadre_names=services.current_cadre_names([h.id for h in page.items]))


@bp.route("/households/<int:household_id>")
@manager_page
def household(user, household_id):
    """One household: details, its cadre and link history, its visits on a small map."""
    return household_page(user, household_services.get_in_scope(user, household_id))


def household_page(user, item, errors=None, status=200):
    visits = services.list_household_visits(user, item)
    return render_template("web/household.html", user=user, household=item, story=tools.household_story(user, item),
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
        household_services.update_household(user, item, data)
    except ValidationError as exc:
        return household_page(user, item, field_errors(exc.messages), 422)
    except Problem as exc:  # a code taken by another household, lat without lon ...
        db.session.rollback()
        item = household_services.get_in_scope(user, household_id)
        return household_page(user, item, {exc.details.get("field") or "code": [problem_text(exc)]}, exc.http_status)
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
    page = {"user": user, "columns": importer.COLUMNS, "headings": importer.HEADINGS,
            "categories": importer.CATEGORY_NAMES}
    if request.method == "GET":
        return render_template("web/household_import.html", **page)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("web/household_import.html", **page, problem=_("Choose a .csv or .xlsx file.")), 400
    try:
        result = importer.import_households(user, upload.filename, upload.read(),
                                            skip_errors="skip_errors" in request.form)
    except ImportRejected as exc:
        return render_template("web/household_import.html", **page, rejected=exc.details.get("errors", []),
                               filename=upload.filename), 400
    except BadRequest as exc:
        return render_template("web/household_import.html", **page, problem=exc.message,
                               filename=upload.filename), 400
    db.session.commit()
    return render_template("web/household_import.html", **page, result=result, filename=upload.filename)


@bp.route("/households/import/template.xlsx")
@manager_page
def household_import_template(user):
    """The XLSX to fill in, with Chinese headings and the areas in scope."""
    return Response(importer.template_xlsx(user), headers={"Content-Disposition": "attachment; filename=households-template.xlsx"},
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def tile_config() -> dict:
    """Map tiles as configured (URL, attribution, WGS-84 or GCJ-02)."""
    config = current_app.config
    return {"url": config["TILE_URL"], "attribution": config["TILE_ATTRIBUTION"],
            "crs": config.get("TILE_CRS", "wgs84")}
