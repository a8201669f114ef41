"""Visits and other submissions: a filtered list with location checks and photos, and one submission."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..errors import BadRequest
from ..extensions import db
from ..pagination import web_page_number
from ..submissions import services as submissions
from ..submissions.models import GEO_STATUSES, REVIEW_STATES
from ..submissions.schemas import REVIEWABLE_STATES, SubmissionQueryArgsSchema
from . import services
from .common import bp, manager_page

PAGE_SIZE = 50


@bp.route("/submissions")
@manager_page
def submissions_list(user):
    """Submissions in scope, newest first, filtered like the API (geo status, review state, dates ...)."""
    try:
        args = SubmissionQueryArgsSchema(unknown=EXCLUDE).load(request.args)
        errors = {}
    except ValidationError as exc:
        args, errors = {}, exc.messages
    page = db.paginate(submissions.list_submissions(user, **args), page=web_page_number(request.args.get("page", 1, type=int)),
                       per_page=PAGE_SIZE, error_out=False, count=True)
    rows = submissions.summarise(page.items)
    return render_template("web/submissions.html", user=user, page=page, rows=rows, errors=errors,
                           photos=services.first_photos([r.id for r in rows]),
                           geo_statuses=GEO_STATUSES, review_states=REVIEW_STATES), (422 if errors else 200)


@bp.route("/submissions/<int:submission_id>")
@manager_page
def submission(user, submission_id):
    """One submission: answers, location check, photos, versions."""
    detail = submissions.get_detail(user, submission_id)
    return render_template("web/submission.html", user=user, s=detail, review_states=REVIEWABLE_STATES)


@bp.route("/submissions/<int:submission_id>/review", methods=["POST"])
@manager_page
def submission_review(user, submission_id):
    """Approve, reject or mark a submission as having issues, with a comment (audited)."""
    state = request.form.get("review_state", "")
    if state not in REVIEWABLE_STATES:
        raise BadRequest(_("Unknown review state."))
    submissions.review_submission(user, submission_id, state, request.form.get("comment", "").strip()[:2000] or None)
    db.session.commit()
    flash(_("Review saved."), "ok")
    return redirect(url_for("web.submission", submission_id=submission_id))
