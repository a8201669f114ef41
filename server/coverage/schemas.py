"""Shapes of coverage requests and reports on the API."""
from marshmallow import Schema, fields, validate

from ..areas.models import LEVELS

ID = validate.Range(1, 2**31 - 1)


class PeriodArgsSchema(Schema):
    period = fields.String(metadata={"description": "2026, 2026-H2, 2026-Q4 or 2026-11; default: this quarter"})
    from_ = fields.String(data_key="from", metadata={"description": "first day YYYY-MM-DD (instead of period)"})
    to = fields.String(metadata={"description": "last day YYYY-MM-DD, inclusive (default today)"})


class CoverageArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID, metadata={"description": "area id; default: your area (managers) or everything"})
    by = fields.String(load_default="area", validate=validate.OneOf(("area", "cadre")))
    level = fields.String(validate=validate.OneOf(LEVELS),
                          metadata={"description": "rows for every area of this level under `area` "
                                                   "instead of its children"})
    cadre = fields.Integer(validate=ID, metadata={"description": "only this cadre's row (by=cadre)"})


class CoverageHouseholdsArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(("visited", "unvisited", "overdue")))
    cadre = fields.Integer(validate=ID, metadata={"description": "households linked to this cadre at the period's end; "
                                                    "visited then means visited by that cadre"})


class MapArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID)


class CoverageAreaSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()


class CoverageCadreSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


class CoverageNumbersSchema(Schema):
    households = fields.Integer(metadata={"description": "active households"})
    visited = fields.Integer(metadata={"description": "households with at least one counted visit in the period"})
    coverage = fields.Float(allow_none=True, metadata={"description": "visited / households, percent, 1 decimal"})
    overdue = fields.Integer(metadata={"description": "never visited, or last counted visit + policy days < now"})
    flagged = fields.Integer(metadata={"description": "visits in the period with geo status far, suspect, "
                                                      "low_accuracy or no_fix"})


class CoverageRowSchema(CoverageNumbersSchema):
    area = fields.Nested(CoverageAreaSchema, allow_none=True)
    cadre = fields.Nested(CoverageCadreSchema, allow_none=True)


class CoverageReportSchema(Schema):
    period = fields.String()
    from_ = fields.String(data_key="from")
    to = fields.String()
    start = fields.String(metadata={"description": "UTC, inclusive"})
    end = fields.String(metadata={"description": "UTC, exclusive"})
    by = fields.String()
    area = fields.Nested(CoverageAreaSchema, allow_none=True)
    rows = fields.List(fields.Nested(CoverageRowSchema))
    total = fields.Nested(CoverageNumbersSchema)


class CoverageHouseholdSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    label = fields.String()
    head_name = fields.String()
    address = fields.String()
    category = fields.String()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    area = fields.Nested(CoverageAreaSchema)
    cadre = fields.Nested(CoverageCadreSchema, allow_none=True)
    last_visit_at = fields.DateTime(allow_none=True, metadata={"description": "last counted visit"})
    due_at = fields.DateTime(allow_none=True, metadata={"description": "last counted visit + policy days"})
    visited = fields.Boolean(metadata={"description": "a counted visit in the period"})
    overdue = fields.Boolean()
    flagged = fields.Integer(metadata={"description": "flagged visits in the period"})
    status = fields.String(metadata={"description": "overdue, else visited, else unvisited"})
