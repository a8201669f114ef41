"""Shapes of the JSON sync API and the quarantine."""
from flask import url_for
from marshmallow import Schema, fields, validate


class PullArgsSchema(Schema):
    cursor = fields.String(validate=validate.Length(max=2000),
                           metadata={"description": "the cursor of the previous pull; none = everything"})


class SyncFormSchema(Schema):
    id = fields.String(attribute="form.form_id")
    kind = fields.String(attribute="form.kind")
    version = fields.String()
    hash = fields.Function(lambda v: f"md5:{v.md5}")
    title = fields.String()
    xform_url = fields.Function(lambda v: url_for("forms.form_xml", form_id=v.form.form_id, _external=True))


class PullSchema(Schema):
    cursor = fields.String()
    more = fields.Boolean()
    server_time = fields.DateTime()
    forms = fields.List(fields.Nested(SyncFormSchema))
    households = fields.List(fields.Dict())
    removed_households = fields.List(fields.Dict())


class PushSchema(Schema):
    submissions = fields.List(fields.Raw(), required=True,
                              metadata={"description": "at most SYNC_PUSH_MAX (100) items"})


class GeoSchema(Schema):
    status = fields.String()
    distance_m = fields.Float(allow_none=True)


class PushResultSchema(Schema):
    instance_id = fields.String(allow_none=True)
    status = fields.String()
    submission_id = fields.Integer(allow_none=True)
    errors = fields.List(fields.Dict())
    missing_attachments = fields.List(fields.String())
    geo = fields.Nested(GeoSchema, allow_none=True)


class PushResultsSchema(Schema):
    results = fields.List(fields.Nested(PushResultSchema))


class SyncAttachmentSchema(Schema):
    name = fields.String()
    sha256 = fields.String()
    size = fields.Integer()
    content_type = fields.String()
    is_received = fields.Boolean()


class QuarantineArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(("pending", "resolved")))
    reason = fields.String(validate=validate.Length(max=64))


class QuarantineItemSchema(Schema):
    id = fields.Integer()
    received_at = fields.DateTime()
    protocol = fields.String()
    reason = fields.String()
    detail = fields.String(allow_none=True)
    instance_id = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    device_id = fields.Integer(allow_none=True)
    content_type = fields.String(allow_none=True)
    files = fields.List(fields.String(), allow_none=True)
    size = fields.Function(lambda item: len(item.payload or b""))
    status = fields.String()
    resolved_submission_id = fields.Integer(allow_none=True)


class QuarantineDetailSchema(QuarantineItemSchema):
    payload = fields.Function(lambda item: (item.payload or b"")[:1_000_000].decode("utf-8", "replace"))
