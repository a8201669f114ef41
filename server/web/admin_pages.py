"""Forms (upload XLSForm, open/close) and users with their devices (QR codes for phones)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from ..auth import services as auth
from ..auth.schemas import UserCreateSchema
from ..errors import BadRequest, Problem
from ..extensions import db
from ..surveys import drafts, services as surveys
from . import services
from .common import bp, manager_page
from .form_errors import field_errors, problem_text


@bp.route("/forms", methods=["GET", "POST"])
@manager_page
def forms(user):
    """Published forms; an uploaded XLSForm becomes a new form or a new current version."""
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadRequest(_("Choose an XLSForm (.xlsx or .xls) file."))
        media = [(f.filename, f.read(), f.mimetype) for f in request.files.getlist("media") if f.filename]
        as_draft = bool(request.form.get("draft"))
        upload_as = drafts.upload_draft if as_draft else surveys.upload_xlsform
        try:
            version = upload_as(user, upload.read(), filename=upload.filename, files=media)
        except Problem as exc:
            db.session.rollback()
            return render_template("web/forms.html", user=user, versions=surveys.list_forms(include_closed=True),
                                   upload_error=problem_text(exc), upload_detail=exc.message,
                                   filename=upload.filename), exc.http_status
        db.session.commit()
        if as_draft:
            flash(_("Draft %(form)s version %(version)s stored: test it, then publish.",
                    form=version.form.form_id, version=version.version), "ok")
        else:
            flash(_("Published %(form)s version %(version)s.", form=version.form.form_id, version=version.version),
                  "ok")
        for warning in version.warnings:
            flash(_conversion_note(warning), "warn")
        return redirect(url_for("web.form_page", form_id=version.form.form_id) if as_draft else url_for("web.forms"))
    return render_template("web/forms.html", user=user, versions=surveys.list_forms(include_closed=True))


def _conversion_note(warning) -> str:
    """A note the server added, in the interface language; pyxform's own warnings as pyxform words them."""
    code, params = getattr(warning, "code", None), getattr(warning, "params", {})
    if code == "form_id_made":
        return _("No form_id in the settings sheet: the file name gives %(form_id)s.", **params)
    if code == "version_made":
        return _("No version in the settings sheet: %(version)s was made from the upload time.", **params)
    if code == "submission_url_removed":
        return _("The submission_url %(url)s was removed: submissions to this form come to this server.", **params)
    return _("Conversion note: %(text)s", text=warning)


@bp.route("/forms/<form_id>/state", methods=["POST"])
@manager_page
def form_state(user, form_id):
    """Close a form to submissions, or publish it again."""
    state = request.form.get("state")
    if state not in ("published", "closed"):
        raise BadRequest(_("Unknown state."))
    surveys.set_state(user, surveys.get_form(form_id), state)
    db.session.commit()
    return redirect(url_for("web.forms"))


@bp.route("/users", methods=["GET", "POST"])
@manager_page
def users(user):
    """People in scope; managers add cadres and surveyors."""
    errors = {}
    if request.method == "POST":
        form = {k: v.strip() for k, v in request.form.items() if k != "csrf_token" and v.strip()}
        try:
            created = auth.create_user_in_scope(user, UserCreateSchema().load(form))
        except ValidationError as exc:
            errors = field_errors(exc.messages)
        except Problem as exc:  # a username taken, an area outside the manager's
            db.session.rollback()
            errors = {exc.details.get("field") or "username": [
                _("This username is taken.") if exc.http_status == 409 else problem_text(exc)]}
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=created.username), "ok")
            return redirect(url_for("web.user", user_id=created.id))
    return render_template("web/users.html", user=user, people=auth.list_users(user), errors=errors,
                           areas=services.filter_choices(user)["areas"]), (422 if errors else 200)


@bp.route("/users/<int:user_id>")
@manager_page
def user(user, user_id):
    """One person and their device tokens."""
    person = services.get_user_in_scope(user, user_id)
    return render_template("web/user.html", user=user, person=person,
                           devices=services.list_user_devices(user, person),
                           areas=services.filter_choices(user)["areas"])


@bp.route("/users/<int:user_id>/devices", methods=["POST"])
@manager_page
def user_device_new(user, user_id):
    """A fresh token for the person's phone, shown once as QR codes (field app and ODK Collect)."""
    person = services.get_user_in_scope(user, user_id)
    name = request.form.get("name", "").strip()[:100] or _("Phone")
    device, token = services.provision_device(user, person, name)
    db.session.commit()
    base = request.host_url
    app_url = services.field_app_url(base, token)
    odk = services.odk_collect_settings(base, token, person)
    page = render_template("web/device_qr.html", user=user, person=person, device=device, app_url=app_url,
                           app_qr=services.qr_svg(app_url), odk_qr=services.qr_svg(odk),
                           odk_url=f"{base.rstrip('/')}/key/{token}/openrosa")
    return page, 200, {"Cache-Control": "no-store"}  # the token is in the page


@bp.route("/devices/<int:device_id>/revoke", methods=["POST"])
@manager_page
def device_revoke(user, device_id):
    """Revoke a lost phone's token."""
    device = services.revoke_user_device(user, device_id)
    db.session.commit()
    flash(_("Device %(name)s revoked.", name=device.name), "ok")
    return redirect(url_for("web.user", user_id=device.user_id))
