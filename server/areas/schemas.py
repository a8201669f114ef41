"""Shapes of areas on the API."""
from marshmallow import Schema, fields, validate

from .models import LEVELS


class AreaSchema(Schema):
    id = fields.Integer()
    parent_id = fields.Integer(allow_none=True)
    code = fields.String()
    name = fields.String()
    level = fields.String()
    path = fields.String()
    boundary = fields.Dict(allow_none=True)


class AreaCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    parent_id = fields.Integer(allow_none=True, load_default=None)
    boundary = fields.Dict(allow_none=True, load_default=None)


class AreaUpdateSchema(Schema):
    code = fields.String(validate=validate.Length(min=1, max=32))
    name = fields.String(validate=validate.Length(min=1, max=100))
    level = fields.String(validate=validate.OneOf(LEVELS))
    boundary = fields.Dict(allow_none=True)


class AreaQueryArgsSchema(Schema):
    parent_id = fields.Integer()
    level = fields.String(validate=validate.OneOf(LEVELS))
