"""A form's page: version history, media files, the draft's test link and QR code, and who gets the form."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from forms.xform import form_info

from ..areas import services as areas
from ..errors import BadRequest, NotFound
from ..extensions import db
from ..surveys import drafts, media, services as surveys
from ..surveys.schemas import DraftSchema
from . import services
from .common import bp, manager_page


@bp.route("/forms/<form_id>")
@manager_page
def form_page(user, form_id):
    """Versions, media, the draft under test and the form's audience."""
    form = surveys.get_form(form_id)
    versions = surveys.list_versions(form_id)
    current = next((v for v in versions if v.is_current), None)
    draft = next((v for v in versions if v.state == "draft"), None)
    test = DraftSchema().dump(draft) if draft is not None else None
    shown = draft or current
    return render_template(
        "surveys/form.html", user=user, form=form, versions=versions, current=current, draft=draft, test=test,
        qr=services.qr_svg(test["test_qr_payload"]) if test else None,
        media_files=media.media_files(shown) if shown else [],
        missing=media.missing_media(shown, form_info(shown.xml)["media"]) if shown else [],
        areas=db.session.scalars(areas.list_areas(user)).all(), roles=drafts.ROLES)


@bp.route("/forms/<form_id>/media", methods=["POST"])
@manager_page
def form_media(user, form_id):
    """Add or replace media files of the draft (when there is one) or the current version."""
    files = [(f.filename, f.read(), f.mimetype) for f in request.files.getlist("media") if f.filename]
    if not files:
        raise BadRequest(_("Choose one or more media files."))
    try:
        version = drafts.get_draft(form_id)
    except NotFound:
        version = surveys.current_version(form_id)
    surveys.upload_media(user, version, files)
    db.session.commit()
    flash(_("%(n)s media file(s) saved.", n=len(files)), "ok")
    return redirect(url_for("web.form_page", form_id=form_id))


@bp.route("/forms/<form_id>/draft/publish", methods=["POST"])
@manager_page
def form_draft_publish(user, form_id):
    version = drafts.publish_draft(user, form_id)
    db.session.commit()
    flash(_("Published %(form)s version %(version)s.", form=form_id, version=version.version), "ok")
    return redirect(url_for("web.form_page", form_id=form_id))


@bp.route("/forms/<form_id>/audience", methods=["POST"])
@manager_page
def form_audience(user, form_id):
    """Roles and areas that get the form (nothing ticked: no limit)."""
    roles = request.form.getlist("roles") or None
    try:
        area_ids = [int(a) for a in request.form.getlist("area_ids")] or None
    except ValueError as exc:
        raise BadRequest(_("Unknown area.")) from exc
    drafts.set_audience(user, surveys.get_form(form_id), roles, area_ids)
    db.session.commit()
    flash(_("Who gets the form was saved."), "ok")
    return redirect(url_for("web.form_page", form_id=form_id))
