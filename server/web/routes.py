"""Manager web pages: sign-in, sign-out, home; the page modules register on the same blueprint."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import services as auth
from ..errors import BadCredentials, Problem, SignInThrottled
from ..extensions import db
from ..security import safe_next
from . import i18n
from .common import bp, signed_in_user

bp.record_once(lambda state: i18n.compile_catalogues(state.app))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Username and password form; CSRF-protected; failed sign-ins are limited (auth.throttle)."""
    error, status, headers = None, 200, {}
    if request.method == "POST":
        try:
            user = auth.authenticate(request.form.get("username", ""), request.form.get("password", ""),
                                     request.remote_addr)
        except BadCredentials:
            error, status = _("Wrong username or password."), 401
        except SignInThrottled as exc:
            error, status, headers = exc.message, 429, exc.headers()
        else:
            auth.login_session(user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
    return render_template("web/login.html", error=error), status, headers


@bp.route("/logout", methods=["POST"])
def logout():
    """End the web session; a copy of its cookie stops working too."""
    auth.logout_session(signed_in_user())
    db.session.commit()
    return redirect(url_for("web.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def own_password():
    """Anyone signed in changes their own password; this browser stays signed in, every other copy ends."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("web.login", next=request.path))
    error, field, status, headers = None, None, 200, {}
    if request.method == "POST":
        form = request.form
        try:
            auth.change_own_password(user, form.get("current", ""), form.get("password", ""),
                                     form.get("confirm", ""), request.remote_addr)
        except BadCredentials:
            db.session.rollback()
            error, field, status = _("The current password is wrong."), "current", 401
        except SignInThrottled as exc:
            db.session.rollback()
            error, status, headers = exc.message, 429, exc.headers()
        except Problem as exc:
            db.session.rollback()
            error, field, status = exc.message, exc.details.get("field"), 422
        else:
            auth.login_session(user)  # the new epoch: this session goes on
            db.session.commit()
            flash(_("Password changed. Other devices signed in as you have been signed out."), "ok")
            return redirect(url_for("web.home"), 303)
    return render_template("web/password.html", user=user, error=error, field=field), status, headers


@bp.route("/")
def home():
    """Managers start on the dashboard; others see where to go."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("web.login", next=request.path))
    if user.role in ("admin", "manager"):
        return redirect(url_for("web.dashboard"))
    return render_template("web/home.html", user=user)


from . import (admin_pages, coverage_pages, form_pages, household_pages, review_pages,  # noqa: E402,F401
               submission_pages, tool_pages)  # (register their routes)
