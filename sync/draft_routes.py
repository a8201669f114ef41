"""A form draft's test link, /draft/<token>/openrosa: ODK Collect or Enketo download and try the draft.

The link serves only its draft (formList, XForm, manifest, media). A draft takes no submissions: the
submission endpoint refuses them (403), so a device keeps what it filled instead of losing it behind a 201.
"""
from flask import Blueprint, url_for

from server.errors import Forbidden, NotFound, Problem
from server.extensions import csrf
from server.surveys import drafts

from . import openrosa, services

bp = Blueprint("draft_openrosa", __name__, url_prefix="/draft/<token>/openrosa")


def _draft(token, form_id=None):
    draft = drafts.draft_for_token(token)
    if form_id is not None and draft.form.form_id != form_id:
        raise NotFound(f"This test link is for the draft of {draft.form.form_id!r}, not {form_id!r}.")
    return draft


@bp.get("/formList", endpoint="form_list")
def form_list(token):
    draft = _draft(token)
    form_id = draft.form.form_id
    item = {"form_id": form_id, "name": draft.title, "version": draft.version, "md5": draft.md5,
            "download_url": url_for(".form_xml", token=token, form_id=form_id, _external=True),
            "manifest_url": url_for(".manifest", token=token, form_id=form_id, _external=True)
            if services.media_of(draft) else None}
    return openrosa.xml_response(openrosa.form_list([item]))


@bp.get("/forms/<form_id>.xml", endpoint="form_xml")
def form_xml(token, form_id):
    return openrosa.xml_response(_draft(token, form_id).xml)


@bp.get("/forms/<form_id>/manifest", endpoint="manifest")
def manifest(token, form_id):
    draft = _draft(token, form_id)
    files = [{**f, "download_url": url_for(".media", token=token, form_id=form_id, filename=f["filename"],
                                           _external=True)}
             for f in services.manifest_files(drafts.tester_of(draft), draft)]
    return openrosa.xml_response(openrosa.manifest(files))


@bp.get("/forms/<form_id>/media/<filename>", endpoint="media")
def media(token, form_id, filename):
    draft = _draft(token, form_id)
    data, content_type, md5 = services.media_file(drafts.tester_of(draft), draft, filename)
    return openrosa.xml_response(data, content_type=content_type, headers={"ETag": f'"{md5}"'})


@bp.route("/submission", methods=["HEAD", "GET", "POST"], endpoint="submission")
def submission(token):
    _draft(token)
    raise Forbidden("This is a draft's test link: drafts take no submissions. Publish the form to collect data.")


@bp.errorhandler(Problem)
def problem_as_xml(problem: Problem):
    return openrosa.error(problem.message, problem.http_status)


def register(app):
    csrf.exempt(bp)
    app.register_blueprint(bp)
