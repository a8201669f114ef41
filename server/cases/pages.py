"""The cases board (诉求/微心愿) for managers: list with filters, overdue first; detail with history and actions."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l

from ..errors import Problem
from ..extensions import db
from ..pagination import page_of
from ..web.common import manager_page
from . import queries, services

bp = Blueprint("cases_pages", __name__)

STATUS_LABELS = {"open": _l("Open"), "claimed": _l("Claimed"), "resolved": _l("Resolved"),
                 "confirmed": _l("Confirmed by the family"), "reopened": _l("Reopened")}
ACTION_LABELS = {"claimed": _l("Claim"), "resolved": _l("Resolve"), "confirmed": _l("Confirm done"),
                 "reopened": _l("Reopen")}
CATEGORY_LABELS = {"livelihood": _l("Hardship"), "medical": _l("Medical"), "housing": _l("Housing"),
                   "employment": _l("Employment"), "education": _l("Education"),
                   "infrastructure": _l("Infrastructure"), "dispute": _l("Dispute"), "other": _l("Other"),
                   "satisfaction": _l("Satisfaction follow-up")}
EVENT_LABELS = {"create": _l("Opened"), "claim": _l("Claimed"), "resolve": _l("Resolved"),
                "confirm": _l("Confirmed"), "reopen": _l("Reopened"), "reassign": _l("Reassigned"),
                "edit": _l("Edited"), "note": _l("Note")}


class _Page:
    """What page_of needs from flask-smorest's pagination parameters."""

    def __init__(self, page, page_size):
        self.page, self.page_size, self.item_count = page, page_size, 0


def _int(name):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.app_template_global("case_status_label")
def case_status_label(code: str) -> str:
    """A case status's name in the page's language."""
    return str(STATUS_LABELS.get(code, code))


@bp.app_template_filter("case_category")
def case_category(code: str) -> str:
    """A case category's name in the page's language."""
    return str(CATEGORY_LABELS.get(code, code))


@bp.route("/cases")
@manager_page
def board(user):
    """Cases in scope, overdue first, with filters."""
    overdue = {"1": True, "0": False}.get(request.args.get("overdue", ""))
    status = request.args.get("status") if request.args.get("status") in STATUS_LABELS else None
    try:
        query = services.list_cases(user, status=status, overdue=overdue, area_id=_int("area"),
                                    owner_id=_int("owner"), category=request.args.get("category") or None)
    except Problem as exc:
        return render_template("cases/board.html", user=user, cases=[], page=_Page(1, 50), error=exc.message,
                               labels=STATUS_LABELS, categories=CATEGORY_LABELS, counts={},
                               names={}, now=services.utcnow()), exc.http_status
    counts = services.count_cases_by_status(user, area_id=_int("area"), owner_id=_int("owner"),
                                            category=request.args.get("category") or None)
    page = _Page(max(_int("page") or 1, 1), 50)
    cases = page_of(query, page)
    names = queries.display_names({c.assignee_id for c in cases if c.assignee_id})
    return render_template("cases/board.html", user=user, cases=cases, page=page, labels=STATUS_LABELS,
                           categories=CATEGORY_LABELS, counts=counts, names=names, error=None,
                           now=services.utcnow())


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@manager_page
def detail(user, case_id):
    """One case with its history; POST moves it (status, note, photo) or reassigns it."""
    try:
        case = services.get_case(user, case_id)
        if request.method == "POST":
            data = {k: request.form[k].strip() for k in ("status", "note", "photo") if request.form.get(k, "").strip()}
            if request.form.get("assignee_id", "").isdigit():
                data["assignee_id"] = int(request.form["assignee_id"])
            services.update_case(user, case, data)
            db.session.commit()
            flash(_("Saved."), "ok")
            return redirect(url_for("cases_pages.detail", case_id=case.id))
    except Problem as exc:
        db.session.rollback()
        if request.method == "GET":
            abort(exc.http_status)
        flash(exc.message, "error")
        return redirect(url_for("cases_pages.detail", case_id=case_id)), 303
    moves = sorted(s for s, starts in services.TRANSITIONS.items() if case.status in starts)
    staff = queries.staff_for(user, case)
    names = queries.display_names({e.actor_id for e in case.events if e.actor_id}
                                  | {case.assignee_id or 0, case.claimed_by_id or 0})
    return render_template("cases/detail.html", user=user, case=case, moves=moves, labels=STATUS_LABELS,
                           actions=ACTION_LABELS, events=EVENT_LABELS, staff=staff, names=names,
                           now=services.utcnow())
