"""Server-rendered pages: the resident's one-time survey (/s/<token>) and the printable QR sheet."""
import csv
import io
import secrets

import qrcode
import qrcode.image.svg
from flask import (Blueprint, Response, current_app, jsonify, make_response, render_template,
                   request)
from flask_babel import get_locale, gettext as _

from ..areas import services as areas
from ..errors import LinkGone, NotFound, Problem, ValidationFailed
from ..extensions import csrf, db
from ..models_base import utcnow
from ..web.common import manager_page
from . import queries, services

bp = Blueprint("satisfaction_pages", __name__)
CHART_ROWS = 30  # bars in the page's chart; the table lists every row
#: a random id per browser that opened a resident link (tells many answers from one browser)
BROWSER_COOKIE = "lh_b"


def _label(labels: dict) -> str:
    lang = str(get_locale() or "zh")
    return labels.get(lang) or labels.get("zh") or next(iter(labels.values()), "")


def _form_page(link, values=None, errors=None, status=200):
    _, questions = services.resident_questions()
    household = queries.household_of(link)
    shown = [{"name": f.path, "type": f.type, "label": _label(f.labels), "required": f.required,
              "choices": [{"name": c["name"], "label": _label(c["labels"])} for c in (f.choices or [])]}
             for f in questions]
    labels = {q["name"]: q["label"] for q in shown}
    problems = [{"label": labels.get(e.get("path"), e.get("path")), "message": e.get("message")} for e in errors or []]
    return render_template("satisfaction/resident.html", questions=shown, household=household, link=link,
                           values=values or {}, errors=problems,
                           opened_at=(values or {}).get("_opened_at") or utcnow().isoformat()), status


def _client() -> dict:
    """Who answers (a fingerprint, kept with the answer): address, browser, its id cookie, when the form opened."""
    return {"ip": request.remote_addr, "ua": (request.headers.get("User-Agent") or "")[:300],
            "browser": (request.cookies.get(BROWSER_COOKIE) or "")[:64] or None,
            "opened_at": (request.form.get("_opened_at") or "")[:40] or None}


def _with_browser_id(response):
    """Give the browser a random id (no personal data) so many answers from one browser can be told."""
    if not request.cookies.get(BROWSER_COOKIE):
        response.set_cookie(BROWSER_COOKIE, secrets.token_hex(16), max_age=400 * 86400, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt
def resident(token):
    """A resident's one-time survey: the form, then thanks; used, replaced or expired links get 410."""
    try:
        link = services.check_usable(services.find_link(token))
        if request.method == "GET":
            body, status = _form_page(link)
            return _with_browser_id(make_response(body, status))
        outcome = services.submit_resident_answer(token, request.form, client=_client())
        db.session.commit()  # a refusal commits only its quarantine entry
        if outcome.problem is not None:
            raise outcome.problem
    except NotFound:
        db.session.rollback()
        return render_template("satisfaction/gone.html", title=_("Invalid link"), reason="invalid"), 404
    except LinkGone as exc:
        db.session.rollback()
        used = exc.details.get("reason") == "used"
        return render_template("satisfaction/gone.html", title=_("Already answered") if used else
                               _("Link no longer valid"), reason=exc.details.get("reason")), 410
    except ValidationFailed as exc:
        db.session.rollback()
        return _form_page(link, request.form, exc.details.get("errors"), 422)
    return render_template("satisfaction/thanks.html"), 201


@bp.route("/s/<token>/form.xml")
def resident_form_xml(token):
    """The satisfaction XForm, for the field app's form engine in resident mode."""
    services.check_usable(services.find_link(token))
    version, _ = services.resident_questions()
    return Response(version.xml, mimetype="text/xml")


@bp.route("/s/<token>/households.csv")
def resident_households_csv(token):
    """The form's households.csv for this link: just the link's household."""
    link = services.check_usable(services.find_link(token))
    household = queries.household_of(link)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["name", "label"], [household.code, household.code]])
    return Response(out.getvalue(), mimetype="text/csv")


@bp.route("/s/<token>/submission", methods=["POST"])
@csrf.exempt
def resident_submission(token):
    """A resident's answer as instance XML (multipart `xml_submission_file` or a raw XML body): 201, or a problem."""
    upload = request.files.get("xml_submission_file")
    xml = upload.read() if upload is not None else request.get_data()
    outcome = services.submit_resident_xml(token, xml, client=_client())
    db.session.commit()  # a refusal commits only its quarantine entry
    if outcome.problem is not None:
        raise outcome.problem
    return jsonify({"status": outcome.status, "instance_id": outcome.instance_id}), 201



def qr_svg(text: str) -> str:
    """An inline SVG QR code."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode("utf-8")
    return svg[svg.index("<svg"):]


@bp.route("/satisfaction/sheet", methods=["GET", "POST"])
@manager_page
def sheet(user):
    """GET: choose/confirm a village (by name) and period; POST: issue new links and show the printable A4 sheet."""
    villages = queries.sheet_areas(user)
    args = request.form if request.method == "POST" else request.args
    try:
        area = areas.get_in_scope(user, int(args.get("area", "")))
        period = services.period_of(args.get("period", ""))
    except (ValueError, Problem) as exc:
        chosen = bool(args.get("area") or args.get("period"))
        return render_template("satisfaction/sheet_confirm.html", user=user, area=None, period=args.get("period"),
                               error=(getattr(exc, "message", None) or _("Choose a village and a period."))
                               if chosen else None, households=0, villages=villages,
                               periods=_periods()), 400 if chosen else 200
    if request.method == "GET":
        return render_template("satisfaction/sheet_confirm.html", user=user, area=area, period=period.label,
                               households=queries.register_count(area), error=None, villages=villages,
                               periods=_periods())
    try:
        issued = services.issue_links(user, area.id, period.label)
    except Problem as exc:
        return render_template("satisfaction/sheet_confirm.html", user=user, area=area, period=period.label,
                               households=0, error=exc.message, villages=villages,
                               periods=_periods()), exc.http_status
    db.session.commit()
    base = (current_app.config.get("PUBLIC_BASE_URL") or request.url_root).rstrip("/")
    cards = [dict(link, url=f"{base}{link['path']}", qr=qr_svg(f"{base}{link['path']}")) for link in issued["links"]]
    return render_template("satisfaction/sheet.html", area=area, period=period.label, cards=cards,
                           last_day=period.last_day, already_answered=issued["already_answered"])


@bp.route("/satisfaction")
@manager_page
def summary_page(user):
    """Satisfaction by cadre (ranked) or by area for a period, with the trend; links to the QR sheet."""
    by = "area" if request.args.get("by") == "area" else "cadre"
    area = request.args.get("area", "")
    try:
        report = queries.summarize(user, period_key=request.args.get("period") or None,
                                   area_id=int(area) if area.isdigit() else None, by=by)
    except Problem as exc:
        return render_template("satisfaction/summary.html", user=user, report=None, error=exc.message,
                               by=by, ranking=[], min_n=queries.MIN_CADRE_N, chart_rows=CHART_ROWS), exc.http_status
    ranking = []
    if by == "cadre":
        report["rows"].sort(key=lambda r: (-(r["share_satisfied"] or 0), -r["responses"]))
        ranking = [r for r in report["rows"] if r["responses"] >= queries.MIN_CADRE_N][:10]
    return render_template("satisfaction/summary.html", user=user, report=report, error=None, by=by,
                           ranking=ranking, min_n=queries.MIN_CADRE_N, chart_rows=CHART_ROWS)


def _periods() -> list[str]:
    """Survey periods to choose from: this quarter and the three before, this year."""
    from datetime import datetime

    from ..coverage.periods import zone
    today = datetime.now(zone()).date()
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out = []
    for _i in range(4):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return out + [str(today.year)]
