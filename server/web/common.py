"""What every manager page shares: the blueprint, who is signed in, HTML error pages."""
from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from ..auth import services as auth
from ..errors import Problem
from . import labels

bp = Blueprint("web", __name__)

MANAGER_ROLES = ("admin", "manager")


def signed_in_user():
    """The web session's user, or None."""
    auth.authenticate_request()
    return auth.g.actor if auth.g.via_session else None


def manager_page(view):
    """Pages for admins and managers: others are sent to sign in, or told where to go."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = signed_in_user()
        if user is None:
            return redirect(url_for("web.login", next=request.full_path.rstrip("?")))
        if user.role not in MANAGER_ROLES:
            return render_template("web/error.html", user=user, status=403,
                                   message=_("These pages are for managers. Cadres use the field app.")), 403
        g.user = user
        return view(user, *args, **kwargs)
    return wrapper


@bp.record_once
def _template_helpers(state):
    """Label and time helpers as Jinja globals, so that imported macros see them too."""
    state.app.jinja_env.globals.update(labels.context(), local_time=local_time, get_locale=get_locale,
                                       flagged_query=flagged_query)


def flagged_query(f, **extra) -> dict:
    """The visits list's query string for a dashboard's flagged count: the same period, area and cadre."""
    query = {"kind": "visit", "flagged": "true", "from": f.period.first_day.isoformat(),
             "to": f.period.last_day.isoformat()}
    if f.area is not None:
        query["area"] = f.area.id
    query.update({k: v for k, v in extra.items() if v is not None})
    return query


def page_language() -> str:
    """The interface language of this request: zh or en."""
    return str(get_locale() or "zh").split("_")[0]


def local_time(value, fmt="%Y-%m-%d %H:%M") -> str:
    """A UTC datetime shown in the deployment's time zone."""
    if value is None:
        return ""
    from zoneinfo import ZoneInfo
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


@bp.errorhandler(Problem)
def problem_page(problem: Problem):
    """A service's problem, shown as a page (the API renders the same problems as JSON)."""
    from .form_errors import problem_text
    detail = problem.message if problem_text(problem) != problem.message else None
    return render_template("web/error.html", user=g.get("user"), status=problem.http_status,
                           message=problem_text(problem), detail=detail), problem.http_status
