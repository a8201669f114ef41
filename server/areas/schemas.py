"""Shapes of areas on the API."""
from marshmallow import Schema, fields, validate

from .models import LEVELS

#: ids are 32-bit on every database; a larger number is invalid input, not a database error
MAX_ID = 2**31 - 1


class Id(fields.Integer):
    """A row id: a whole number in 1..MAX_ID (1.5 or 10**30 are invalid, not truncated or a 500)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("validate", validate.Range(1, MAX_ID))
        super().__init__(**kwargs)

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


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
    parent_id = Id(allow_none=True, load_default=None)
    boundary = fields.Dict(allow_none=True, load_default=None)


class AreaUpdateSchema(Schema):
    code = fields.String(validate=validate.Length(min=1, max=32))
    name = fields.String(validate=validate.Length(min=1, max=100))
    level = fields.String(validate=validate.OneOf(LEVELS))
    boundary = fields.Dict(allow_none=True)


class AreaQueryArgsSchema(Schema):
    parent_id = Id()
    level = fields.String(validate=validate.OneOf(LEVELS))
