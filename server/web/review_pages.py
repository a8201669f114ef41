"""The review queue: flagged visits and held resident answers with their reasons, decided in bulk;
first-visit anchors to confirm."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from ..errors import BadRequest
from ..extensions import db
from ..models_base import utcnow
from ..pagination import web_page_number
from ..submissions import review
from ..submissions.reasons import reasons_text, short_name
from .common import bp, manager_page

PAGE_SIZE = 100


@bp.app_template_global("flag_reasons")
def flag_reasons(flags) -> list[str]:
    """A submission's flags as text in the interface language (Chinese unless English is chosen)."""
    return reasons_text(flags, str(get_locale() or "zh"))


@bp.app_template_global("reason_name")
def reason_name(code) -> str:
    """A reason's short name in the interface language."""
    return short_name(code, str(get_locale() or "zh"))


@bp.route("/reviews")
@manager_page
def reviews(user):
    """Suspect visits and held resident answers, newest first, with what made them suspect."""
    kind = request.args.get("kind") if request.args.get("kind") in ("visit", "satisfaction") else None
    page = db.paginate(review.flagged_query(user, kind), page=web_page_number(request.args.get("page", 1, type=int)),
                       per_page=PAGE_SIZE, error_out=False, count=True)
    names = review.submitter_names(s.submitter_id for s in page.items)
    return render_template("web/reviews.html", user=user, page=page, kind=kind, names=names,
                           anchors=review.unconfirmed_anchors(user))


@bp.route("/reviews", methods=["POST"])
@manager_page
def reviews_decide(user):
    """Approve or reject the ticked submissions at once (audited)."""
    decision = request.form.get("decision", "")
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if decision not in review.DECISIONS:
        raise BadRequest(_("Unknown review state."))
    if not ids:
        flash(_("Tick at least one record."), "error")
        return redirect(url_for("web.reviews"))
    decided = review.decide(user, ids, decision, request.form.get("comment", "").strip()[:2000] or None)
    db.session.commit()
    flash(_("%(n)d records approved.", n=len(decided)) if decision == "approve"
          else _("%(n)d records rejected.", n=len(decided)), "ok")
    return redirect(url_for("web.reviews"))


@bp.route("/reviews/anchors", methods=["POST"])
@manager_page
def anchors_confirm(user):
    """Confirm the ticked first-visit anchors."""
    ids = [int(i) for i in request.form.getlist("households") if i.isdigit()]
    count = review.confirm_anchors(user, ids, utcnow()) if ids else 0
    db.session.commit()
    flash(_("%(n)d household locations confirmed.", n=count), "ok")
    return redirect(url_for("web.reviews"))
