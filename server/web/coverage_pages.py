"""Coverage pages: dashboard with drill-down, the map, household lists (unvisited, overdue ...)."""
from datetime import datetime
from types import SimpleNamespace

from flask import render_template, request, url_for
from flask_babel import get_locale
from marshmallow import EXCLUDE, ValidationError

from ..areas import services as areas
from ..coverage import services as coverage
from ..coverage.periods import parse_period, zone
from ..coverage.schemas import CoverageHouseholdsArgsSchema
from ..errors import ValidationFailed
from . import services
from .common import bp, manager_page
from .household_pages import tile_config

PAGE_SIZE = 50


def page_filters(user):
    """Period, area and cadre from the query string (the API's names), the period parsed."""
    try:
        args = CoverageHouseholdsArgsSchema(unknown=EXCLUDE).load(
            {k: v for k, v in request.args.items() if v != "" and k in ("period", "from", "to", "area", "cadre", "status")})
    except ValidationError as exc:
        raise ValidationFailed("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.messages.items())) from exc
    period = parse_period(args.get("period"), args.get("from_"), args.get("to"))
    area = areas.get_in_scope(user, args["area"]) if args.get("area") else (user.area if user.role == "manager" else None)
    query = {k: v for k, v in (("period", args.get("period")), ("from", args.get("from_")), ("to", args.get("to")),
                               ("area", args.get("area"))) if v}
    return SimpleNamespace(period=period, area=area, cadre=args.get("cadre"), status=args.get("status"), query=query,
                           choices=services.period_choices(datetime.now(zone()).date()),
                           trail=services.area_trail(user, area))


@bp.route("/dashboard")
@manager_page
def dashboard(user):
    """Coverage of the period by child area (each drills down) and by cadre, with headline numbers."""
    f = page_filters(user)
    area_id = f.area.id if f.area else None
    by_area = coverage.coverage_report(user, f.period, area_id=area_id)
    by_cadre = coverage.coverage_report(user, f.period, area_id=area_id, by="cadre")
    return render_template("web/dashboard.html", user=user, f=f, report=by_area, cadres=by_cadre["rows"],
                           total=by_area["total"])


@bp.route("/map")
@manager_page
def coverage_map(user):
    """Households on a map, clustered and coloured by their status in the period."""
    f = page_filters(user)
    total = coverage.coverage_report(user, f.period, area_id=f.area.id if f.area else None)["total"]
    return render_template("web/map.html", user=user, f=f, tiles=tile_config(), total=total,
                           geojson_url=url_for("coverage.CoverageMap", **f.query),
                           points_url=url_for("coverage.CoverageMapCompact", **f.query))


@bp.route("/unvisited")
@manager_page
def unvisited(user):
    """Households without a counted visit in the period."""
    return households_page(user, "unvisited")


@bp.route("/overdue")
@manager_page
def overdue(user):
    """Households past the visit interval of their category."""
    return households_page(user, "overdue")


@bp.route("/coverage/households")
@manager_page
def coverage_households(user):
    """Households behind a dashboard number (status, area and cadre from the query string)."""
    return households_page(user, None)


def households_page(user, status):
    """Households by status in the period, a page at a time, with the Excel download of the same list."""
    f = page_filters(user)
    status = status or f.status
    params = SimpleNamespace(page=max(request.args.get("page", 1, type=int), 1), page_size=PAGE_SIZE, item_count=0)
    rows = coverage.page_households(user, f.period, params, area_id=f.area.id if f.area else None,
                                    status=status, cadre_id=f.cadre)
    page = SimpleNamespace(items=rows, total=params.item_count, page=params.page,
                           pages=max(1, -(-params.item_count // PAGE_SIZE)))
    page.has_prev, page.has_next = page.page > 1, page.page < page.pages
    page.prev_num, page.next_num = page.page - 1, page.page + 1
    query = dict(f.query, **({"status": status} if status else {}), **({"cadre": f.cadre} if f.cadre else {}))
    named = dict(query, labels=str(get_locale() or "zh"))
    downloads = {fmt: export_url(fmt, named) for fmt in ("xlsx", "csv")}
    downloads["codes"] = export_url("xlsx", query)
    return render_template("web/coverage_households.html", user=user, f=f, status=status, page=page,
                           downloads=downloads)


def export_url(fmt: str, query: dict) -> str:
    """Where the exports API serves this list as a file."""
    from urllib.parse import urlencode
    return f"/api/v1/exports/coverage.{fmt}" + (f"?{urlencode(query)}" if query else "")
