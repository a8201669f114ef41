"""Query arguments of the exports."""
from marshmallow import fields, validate

from ..coverage.schemas import ID, PeriodArgsSchema
from ..submissions.models import GEO_STATUSES, REVIEW_STATES
from .columns import LANGUAGES


class CoverageExportArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(("visited", "unvisited", "overdue")))
    cadre = fields.Integer(validate=ID)


class SubmissionExportArgsSchema(PeriodArgsSchema):
    form = fields.String(load_default="visit", validate=validate.Length(min=1, max=64))
    area = fields.Integer(validate=ID)


class FormZipArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID, metadata={"description": "area id; its whole subtree"})
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    geo_status = fields.String(validate=validate.OneOf(GEO_STATUSES))
    labels = fields.String(validate=validate.OneOf(LANGUAGES),
                           metadata={"description": "headers and choices as the form's labels in this language"})
    attachments = fields.Boolean(load_default=False, metadata={"description": "add media/<file> for each file"})
