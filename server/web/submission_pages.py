"""Visits and other submissions: a filtered list with location checks and photos, and one submission."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError

from ..errors import BadRequest
from ..extensions import db
from ..pagination import web_page_number
from ..submissions import services as submissions
from ..submissions.models import GEO_STATUSES, REVIEW_STATES
from ..submissions.schemas import REVIEWABLE_STATES, SubmissionQueryArgsSchema
from . import answer_view, services
from .common import bp, manager_page, page_language

PAGE_SIZE = 50


FILTER_KEYS = ("form", "kind", "area", "cadre", "household", "from", "to", "geo_status", "review_state", "flagged")


def submission_filters(user, query_args) -> tuple[dict, dict, dict]:
    """The page's filters as the API reads them: empty fields are left out, the others combine.

    Returns (service arguments, the query string to keep in links and downloads, errors by field);
    a bad field is reported and left out, the good ones still apply."""
    given = {k: query_args.get(k, "").strip() for k in FILTER_KEYS if query_args.get(k, "").strip()}
    code = query_args.get("household_code", "").strip()
    errors = {}
    if code and "household" not in given:
        found = services.find_household_by_code(user, code)
        if found is None:
            errors["household_code"] = [_("No household with code %(code)s in your scope.", code=code)]
        else:
            given["household"] = str(found.id)
    schema = SubmissionQueryArgsSchema(unknown=EXCLUDE)
    try:
        args = schema.load(given)
    except ValidationError as exc:
        errors.update({k: [_("Not a valid value.")] for k in exc.messages})
        good = {k: v for k, v in given.items() if k not in exc.messages}
        args = schema.load(good)
        given = good
    return args, given, errors


@bp.route("/submissions")
@manager_page
def submissions_list(user):
    """Submissions in scope, newest first, filtered like the API (geo status, review state, dates ...)."""
    args, query, errors = submission_filters(user, request.args)
    page = db.paginate(submissions.list_submissions(user, **args), page=web_page_number(request.args.get("page", 1, type=int)),
                       per_page=PAGE_SIZE, error_out=False, count=True)
    rows = submissions.summarise(page.items)
    return render_template("web/submissions.html", user=user, page=page, rows=rows, errors=errors, query=query,
                           photos=services.first_photos([r.id for r in rows]),
                           choices=services.filter_choices(user), export_query=services.export_query(query),
                           geo_statuses=GEO_STATUSES, review_states=REVIEW_STATES), (422 if errors else 200)


@bp.route("/submissions/<int:submission_id>")
@manager_page
def submission(user, submission_id):
    """One submission: answers, location check, photos, versions."""
    detail = submissions.get_detail(user, submission_id)
    answers = answer_view.readable_answers(detail.form_version, detail.answers, page_language(),
                                           current_app.config["TIMEZONE"])
    return render_template("web/submission.html", user=user, s=detail, answers=answers,
                           review_states=REVIEWABLE_STATES)


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
