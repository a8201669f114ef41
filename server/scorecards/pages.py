"""The scorecards page (考核) for managers: one row per cadre with the composite score, and the XLSX link."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from ..coverage.periods import parse_period
from ..errors import Problem, ValidationFailed
from ..extensions import db
from ..web.common import manager_page
from . import services

bp = Blueprint("scorecards_pages", __name__)
WEIGHT_NAMES = {"coverage": _l("Coverage"), "verified": _l("Verified share"), "satisfaction": _l("Satisfaction"),
                "cases": _l("Requests resolved on time")}


@bp.route("/scorecards")
@manager_page
def scorecards_page(user):
    """Scorecards of the cadres in scope for a period, best composite score first."""
    area = request.args.get("area", "")
    try:
        report = services.scorecards(user, parse_period(request.args.get("period") or None),
                                     area_id=int(area) if area.isdigit() else None)
    except Problem as exc:
        return render_template("scorecards/page.html", user=user, report=None, error=exc.message,
                               weight_names=WEIGHT_NAMES), exc.http_status
    report["rows"].sort(key=lambda c: (c["score"] is None, -(c["score"] or 0), c["cadre"]["display_name"] or ""))
    return render_template("scorecards/page.html", user=user, report=report, error=None, weight_names=WEIGHT_NAMES,
                           min_n=services.satisfaction.MIN_CADRE_N)


@bp.route("/scorecards/weights", methods=["POST"])
@manager_page
def weights_form(user):
    """Admins set the composite score's weights from the scorecards page."""
    back = url_for("scorecards_pages.scorecards_page", **{k: v for k, v in request.form.items()
                                                            if k in ("period", "area") and v})
    try:
        data = {}
        for name in services.DEFAULT_WEIGHTS:
            value = request.form.get(name, "").strip()
            if value:
                try:
                    data[name] = float(value)
                except ValueError:
                    raise ValidationFailed(_("Weights are numbers, e.g. 0.3."), field=name) from None
                if not 0 <= data[name] <= 100:
                    raise ValidationFailed(_("Weights are numbers, e.g. 0.3."), field=name)
        services.set_weights(user, data)
        db.session.commit()
        flash(_("Weights saved."), "ok")
    except Problem as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(back, 303)
