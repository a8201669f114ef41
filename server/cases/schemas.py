"""Shapes of cases and their history on the API."""
from marshmallow import Schema, fields, validate

from ..models_base import utcnow
from .models import STATUSES

ACTIVE = ("open", "claimed", "reopened")


class CaseEventSchema(Schema):
    id = fields.Integer()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    photo = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class CaseSchema(Schema):
    id = fields.Integer()
    household_id = fields.Integer()
    household_code = fields.String(attribute="household.code")
    area_id = fields.Integer()
    submission_id = fields.Integer(allow_none=True)
    source_key = fields.String(allow_none=True)
    category = fields.String()
    text = fields.String()
    is_micro_wish = fields.Boolean()
    status = fields.String()
    assignee_id = fields.Integer(allow_none=True)
    claimed_by_id = fields.Integer(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    is_overdue = fields.Method("_is_overdue")
    resolved_at = fields.DateTime(allow_none=True)
    confirmed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    created_by_id = fields.Integer(allow_none=True)

    def _is_overdue(self, case) -> bool:
        return case.status in ACTIVE and case.due_at is not None and case.due_at < utcnow()


class CaseDetailSchema(CaseSchema):
    events = fields.List(fields.Nested(CaseEventSchema))


class CaseCreateSchema(Schema):
    household_id = fields.Integer(required=True)
    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    category = fields.String(load_default="other", validate=validate.Length(min=1, max=32))
    is_micro_wish = fields.Boolean(load_default=False)
    assignee_id = fields.Integer(allow_none=True)
    due_at = fields.AwareDateTime(allow_none=True, default_timezone=None)


class CaseUpdateSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES[1:]),
                           metadata={"description": "claimed, resolved, confirmed or reopened"})
    note = fields.String(validate=validate.Length(max=2000))
    photo = fields.String(validate=validate.Length(max=255),
                          metadata={"description": "reference to a photo of the result"})
    assignee_id = fields.Integer(metadata={"description": "reassign (managers)"})
    due_at = fields.AwareDateTime()
    text = fields.String(validate=validate.Length(min=1, max=2000))
    category = fields.String(validate=validate.Length(min=1, max=32))


class CaseQueryArgsSchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    overdue = fields.Boolean()
    area = fields.Integer(data_key="area", metadata={"description": "area id (its subtree)"})
    owner = fields.Integer(metadata={"description": "assignee user id"})
    category = fields.String()
    household_id = fields.Integer()
    is_micro_wish = fields.Boolean()
