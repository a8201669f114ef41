"""Query arguments of the exports."""
from marshmallow import fields, validate

from ..coverage.schemas import ID, PeriodArgsSchema
from ..submissions.models import GEO_STATUSES, REVIEW_STATES
from .columns import LANGUAGES


def Labels():  # noqa: N802  (a field factory)
    return fields.String(validate=validate.OneOf(LANGUAGES),
                         metadata={"description": "headers (and a form's choices) in this language instead of codes"})


class CoverageExportArgsSchema(PeriodArgsSchema):
    labels = Labels()
    area = fields.Integer(validate=ID)
    status = fields.String(validate=validate.OneOf(("visited", "unvisited", "overdue")))
    cadre = fields.Integer(validate=ID)


class SubmissionExportArgsSchema(PeriodArgsSchema):
    form = fields.String(load_default="visit", validate=validate.Length(min=1, max=64))
    labels = Labels()
    area = fields.Integer(validate=ID)
    cadre = fields.Integer(validate=ID, metadata={"description": "submitted by this user"})
    household = fields.Integer(validate=ID)
    geo_status = fields.String(validate=validate.OneOf(GEO_STATUSES))
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    flagged = fields.Boolean(metadata={"description": "only flagged visits (far, suspect, low accuracy, no "
                                                      "location) of active households, as the dashboard counts"})


class FormZipArgsSchema(PeriodArgsSchema):
    area = fields.Integer(validate=ID, metadata={"description": "area id; its whole subtree"})
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    geo_status = fields.String(validate=validate.OneOf(GEO_STATUSES))
    labels = Labels()
    attachments = fields.Boolean(load_default=False, metadata={"description": "add media/<file> for each file"})
