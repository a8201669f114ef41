"""Shapes of satisfaction links, aggregates and answers on the API."""
from marshmallow import Schema, fields, validate


class LinksIssueSchema(Schema):
    area_id = fields.Integer(required=True)
    period = fields.String(required=True, validate=validate.Length(min=4, max=16))


class IssuedLinkSchema(Schema):
    household_id = fields.Integer()
    code = fields.String()
    head_name = fields.String()
    token = fields.String()
    path = fields.String()


class LinksIssuedSchema(Schema):
    area_id = fields.Integer(attribute="area.id")
    period = fields.String()
    expires_at = fields.DateTime()
    revoked = fields.Integer(metadata={"description": "unused older links that stopped working"})
    already_answered = fields.Integer()
    links = fields.List(fields.Nested(IssuedLinkSchema), metadata={"description": "tokens are shown once"})


class SummaryArgsSchema(Schema):
    period = fields.String(validate=validate.Length(min=4, max=16))
    area = fields.Integer()
    by = fields.String(load_default="area", validate=validate.OneOf(("area", "cadre")))


class SummarySchema(Schema):
    period = fields.String()
    by = fields.String()
    area = fields.Dict(allow_none=True)
    total = fields.Dict()
    excluded = fields.Dict(allow_none=True)
    rows = fields.List(fields.Dict())
    trend = fields.List(fields.Dict())


class AnswersArgsSchema(Schema):
    period = fields.String(validate=validate.Length(min=4, max=16))
    area = fields.Integer()
    cadre = fields.Integer()
    include_self_rated = fields.Boolean(load_default=True)


class AnswerSchema(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    household_id = fields.Integer()
    household_code = fields.String(attribute="household.code")
    area_id = fields.Integer()
    rated_cadre_id = fields.Integer(allow_none=True)
    submitter_id = fields.Integer(allow_none=True)
    source = fields.String()
    is_self_rated = fields.Boolean()
    captured_at = fields.DateTime()
    answers = fields.Dict()
