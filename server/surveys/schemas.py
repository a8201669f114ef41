"""Shapes of forms on the API."""
from flask import url_for
from marshmallow import Schema, fields, validate

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
