"""Shapes of forms on the API."""
import base64
import json
import zlib

from flask import url_for
from marshmallow import Schema, fields, validate

from forms.xform import form_info

from .media import missing_media
from .models import KINDS


class FormSchema(Schema):
    form_id = fields.String(attribute="form.form_id")
    title = fields.String()
    kind = fields.String(attribute="form.kind")
    state = fields.String(attribute="form.state")
    version = fields.String()
    hash = fields.Function(lambda v: f"md5:{v.md5}")
    xform_url = fields.Function(
        lambda v: url_for("forms.form_xml", form_id=v.form.form_id, _external=True))
    created_at = fields.DateTime()
    encrypted = fields.Function(lambda v: "base64RsaPublicKey" in (v.xml or ""))
    media = fields.Function(lambda v: [{"name": m.name, "hash": f"md5:{m.md5}", "size": m.size,
                                        "content_type": m.content_type} for m in v.media_files])
    missing_media = fields.Method("get_missing_media")

    def get_missing_media(self, version):
        """Files the XForm names that are not uploaded yet (the phone would fail on them)."""
        return missing_media(version, form_info(version.xml)["media"])


class FormUploadResultSchema(FormSchema):
    state = fields.String()
    #: pyxform's warnings and what the server changed (made version or id, removed submission_url)
    warnings = fields.Function(lambda v: getattr(v, "warnings", []))


class FormVersionSchema(Schema):
    version = fields.String()
    title = fields.String()
    state = fields.String()
    current = fields.Boolean(attribute="is_current")
    hash = fields.Function(lambda v: f"md5:{v.md5}")
    created_at = fields.DateTime()


class FieldSchema(Schema):
    path = fields.String()
    name = fields.String()
    type = fields.String()
    labels = fields.Dict()
    required = fields.Boolean()
    choices = fields.List(fields.Dict(), allow_none=True)
    itemset_file = fields.String(allow_none=True)
    repeat = fields.String(allow_none=True)


class FormDetailSchema(FormSchema):
    field_list = fields.Method("get_fields", data_key="fields")

    def get_fields(self, version):
        from .services import fields_for
        return FieldSchema(many=True).dump(fields_for(version))


class FormUploadArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    draft = fields.Boolean(load_default=False,
                           metadata={"description": "store as the form's draft, tested by its own link before publishing"})


class DraftSchema(FormUploadResultSchema):
    state = fields.String()
    #: the OpenRosa server URL to give ODK Collect (or Enketo) for testing the draft
    test_url = fields.Function(lambda v: url_for("draft_openrosa.form_list", token=v.draft_token, _external=True)
                               .rsplit("/formList", 1)[0] if v.draft_token else None)
    #: ODK Collect's QR settings payload for the test link (base64 of zlib-deflated JSON)
    test_qr_payload = fields.Function(lambda v: collect_settings(
        url_for("draft_openrosa.form_list", token=v.draft_token, _external=True).rsplit("/formList", 1)[0],
        f"草稿 {v.title}") if v.draft_token else None)


class AudienceSchema(Schema):
    roles = fields.List(fields.String(), allow_none=True, load_default=None,
                        metadata={"description": "roles that get the form; null: every role that fills its kind"})
    area_ids = fields.List(fields.Integer(), allow_none=True, load_default=None,
                           metadata={"description": "areas (with their subtrees) whose users get it; null: all"})


def collect_settings(server_url: str, name: str) -> str:
    """ODK Collect's QR settings payload: base64 of zlib-deflated JSON."""
    settings = {"general": {"server_url": server_url, "form_update_mode": "match_exactly"}, "admin": {},
                "project": {"name": name, "color": "#1565c0", "icon": "测"}}
    return base64.b64encode(zlib.compress(json.dumps(settings, ensure_ascii=False).encode())).decode()


class FormStateSchema(Schema):
    state = fields.String(required=True, validate=validate.OneOf(("published", "closed")))


class DecryptArgsSchema(Schema):
    private_key = fields.String(required=True, validate=validate.Length(min=1, max=20000),
                                metadata={"description": "PEM RSA private key (never stored)"})
    password = fields.String(load_default=None, metadata={"description": "the PEM's password, if any"})


class DecryptedSubmissionSchema(Schema):
    submission_id = fields.Integer()
    instance_id = fields.String()
    received_at = fields.String()
    answers = fields.Dict(allow_none=True)
    xml = fields.String(allow_none=True)
    attachments = fields.List(fields.Dict())
    error = fields.String(allow_none=True)
