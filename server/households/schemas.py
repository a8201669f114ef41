"""Shapes of households, assignments and visit policies on the API."""
from marshmallow import Schema, fields, validate

from ..areas.schemas import Id
from .models import CATEGORIES, CODE_PATTERN, LOCATION_SOURCES

Lat = lambda **kw: fields.Float(validate=validate.Range(-90, 90), allow_none=True, **kw)  # noqa: E731
Lon = lambda **kw: fields.Float(validate=validate.Range(-180, 180), allow_none=True, **kw)  # noqa: E731


class HouseholdSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    label = fields.String()
    area_id = fields.Integer()
    address = fields.String()
    head_name = fields.String()
    phone = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    category = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    location_source = fields.String(allow_none=True)
    is_active = fields.Boolean()
    version = fields.Integer()
    last_counted_visit_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()


class HouseholdCreateSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN, error="A code is 1-64 characters without spaces, commas or control characters."))
    area_id = Id(required=True)
    address = fields.String(load_default="", validate=validate.Length(max=255))
    head_name = fields.String(load_default="", validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    size = fields.Integer(allow_none=True, validate=validate.Range(0, 100))
    category = fields.String(load_default="ordinary", validate=validate.OneOf(CATEGORIES))
    lat = Lat()
    lon = Lon()
    location_source = fields.String(allow_none=True, validate=validate.OneOf(LOCATION_SOURCES))


class HouseholdUpdateSchema(HouseholdCreateSchema):
    code = fields.String(validate=validate.Regexp(CODE_PATTERN, error="A code is 1-64 characters without spaces, commas or control characters."))
    area_id = Id()
    address = fields.String(validate=validate.Length(max=255))
    head_name = fields.String(validate=validate.Length(max=100))
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    is_active = fields.Boolean()


class HouseholdQueryArgsSchema(Schema):
    area_id = Id()
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    cadre_id = Id()
    is_active = fields.Boolean()
    q = fields.String(validate=validate.Length(max=100))


class AssignmentCreateSchema(Schema):
    cadre_id = Id(required=True, allow_none=True,
                              metadata={"description": "null unlinks the household"})


class AssignmentSchema(Schema):
    id = fields.Integer()
    household_id = fields.Integer()
    cadre_id = fields.Integer()
    cadre_name = fields.String(attribute="cadre.display_name")
    valid_from = fields.DateTime()
    valid_to = fields.DateTime(allow_none=True)


class ImportArgsSchema(Schema):
    skip_errors = fields.Boolean(load_default=False,
                                 metadata={"description": "import the good rows, report the bad ones"})


class ImportResultSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    linked = fields.Integer()
    unchanged = fields.Integer(metadata={"description": "rows equal to the stored household (version kept)"})
    skipped = fields.Integer()
    errors = fields.List(fields.Dict())


class VisitPolicySchema(Schema):
    category = fields.String(validate=validate.OneOf(CATEGORIES), required=True)
    max_days = fields.Integer(validate=validate.Range(1, 3660), required=True)
