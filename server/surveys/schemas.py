"""Shapes of forms on the API."""
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
