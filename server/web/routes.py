"""Manager web pages: sign-in, sign-out, home."""
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..auth import services as auth
from ..errors import BadCredentials
from ..extensions import db, limiter

bp = Blueprint("web", __name__)


def signed_in_user():
    """The web session's user, or None."""
    auth.authenticate_request()
    return auth.g.actor if auth.g.via_session else None


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
    """Home page: where a signed-in manager starts."""
    user = signed_in_user()
    if user is None:
        return redirect(url_for("web.login", next=request.path))
    return render_template("web/home.html", user=user)
