"""Query arguments of the exports."""
from marshmallow import fields, validate

from ..coverage.schemas import ID, PeriodArgsSchema


class CoverageExportArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(("visited", "unvisited", "overdue")))
    cadre = fields.Integer(validate=ID)


class SubmissionExportArgsSchema(PeriodArgsSchema):
    form = fields.String(load_default="visit", validate=validate.Length(min=1, max=64))
    area = fields.Integer(validate=ID)
