"""Manager web pages: sign-in, sign-out, home; the page modules register on the same blueprint."""
from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..auth import services as auth
from ..errors import BadCredentials
from ..extensions import db, limiter
from . import i18n
from .common import bp, signed_in_user

bp.record_once(lambda state: i18n.compile_catalogues(state.app))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    """Username and password form; CSRF-protected."""
    error = None
    if request.method == "POST":
        try:
            user = auth.authenticate(request.form.get("username", ""), request.form.get("password", ""))
        except BadCredentials:
            error = _("Wrong username or password.")
        else:
            auth.login_session(user)
            db.session.commit()
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("web.home"))
    return render_template("web/login.html", error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """End the web session."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("web.login"))


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
