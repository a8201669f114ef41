"""/api/v1/forms: list, detail with fields, XForm download, XLSForm upload."""
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor, require_role
from ..errors import BadRequest
from ..extensions import db
from . import decrypt, drafts, services
from .schemas import (AudienceSchema, DecryptArgsSchema, DecryptedSubmissionSchema, DraftSchema, FormDetailSchema,
                      FormSchema, FormStateSchema, FormUploadArgsSchema, FormUploadResultSchema, FormVersionSchema)

blp = Blueprint("forms", __name__, url_prefix="/api/v1/forms", description="Forms (XLSForm -> XForm)")


@blp.route("")
class Forms(MethodView):
    @blp.response(200, FormSchema(many=True))
    def get(self):
        """Published forms, each at its current version."""
        current_actor()
        return services.list_forms()

    @blp.arguments(FormUploadArgsSchema, location="query")
    @blp.response(201, FormUploadResultSchema)
    def post(self, args):
        """Upload an XLSForm (.xlsx or .xls, multipart field `file`) with its media files (fields `media`):
        a new form or a new version. The result lists pyxform's warnings and media still missing."""
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("Send the XLSForm as multipart field 'file'.", field="file")
        upload_as = drafts.upload_draft if args.get("draft") else services.upload_xlsform
        version = upload_as(current_actor(), upload.read(), args.get("kind"), upload.filename, _media_parts())
        db.session.commit()
        return version


@blp.route("/<form_id>")
class FormById(MethodView):
    @blp.response(200, FormDetailSchema)
    def get(self, form_id):
        """A form's current version with its fields (path, type, labels, choices, required)."""
        current_actor()
        return services.current_version(form_id)

    @blp.arguments(FormStateSchema)
    @blp.response(200, FormSchema)
    def patch(self, data, form_id):
        """Close a form to submissions, or open it again."""
        services.set_state(current_actor(), services.get_form(form_id), data["state"])
        db.session.commit()
        return services.current_version(form_id)


@blp.route("/<form_id>.xml", endpoint="form_xml")
@blp.response(200, content_type="text/xml")
def form_xml(form_id):
    """The current XForm XML."""
    current_actor()
    version = services.current_version(form_id)
    return Response(version.xml, content_type="text/xml; charset=utf-8")


@blp.route("/<form_id>/versions")
class FormVersions(MethodView):
    @blp.response(200, FormVersionSchema(many=True))
    def get(self, form_id):
        """The form's version history, newest first."""
        current_actor()
        return services.list_versions(form_id)


@blp.route("/<form_id>/media")
class FormMediaFiles(MethodView):
    @blp.response(201, FormSchema)
    def post(self, form_id):
        """Add or replace media files (multipart fields `media`) of the current version; the manifest serves them."""
        files = _media_parts()
        if not files:
            raise BadRequest("Send the files as multipart fields 'media'.", field="media")
        version = services.current_version(form_id)
        services.upload_media(current_actor(), version, files)
        db.session.commit()
        return version


@blp.route("/<form_id>/decrypted")
class DecryptedSubmissions(MethodView):
    @blp.arguments(DecryptArgsSchema)
    @blp.response(200, DecryptedSubmissionSchema(many=True))
    def post(self, data, form_id):
        """Decrypt an encrypted form's submissions with your private key (PEM; used for this request only,
        never stored). Without a key, the submissions list shows them sealed."""
        return decrypt.decrypt_submissions(current_actor(), form_id, data["private_key"], data.get("password"))


@blp.route("/<form_id>/draft")
class FormDraft(MethodView):
    @blp.response(200, DraftSchema)
    def get(self, form_id):
        """The form's draft with its test link and ODK Collect QR payload (upload with ?draft=true)."""
        require_role(current_actor(), "admin", "manager")
        return drafts.get_draft(form_id)


@blp.route("/<form_id>/draft/publish")
class FormDraftPublish(MethodView):
    @blp.response(200, FormSchema)
    def post(self, form_id):
        """Publish the draft: it becomes the version devices get; the test link stops working."""
        version = drafts.publish_draft(current_actor(), form_id)
        db.session.commit()
        return version


@blp.route("/<form_id>/audience")
class FormAudience(MethodView):
    @blp.arguments(AudienceSchema)
    @blp.response(200, AudienceSchema)
    def put(self, data, form_id):
        """Who gets the form on their devices: roles and areas (null: no limit)."""
        form = drafts.set_audience(current_actor(), services.get_form(form_id), data["roles"], data["area_ids"])
        db.session.commit()
        return {"roles": form.audience_roles, "area_ids": form.audience_area_ids}


def _media_parts() -> list:
    """(name, bytes, content type) of each uploaded media file."""
    return [(f.filename or "", f.read(), f.mimetype) for f in request.files.getlist("media")]
