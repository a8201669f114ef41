"""Payloads of /api/v1/fieldapp (server/fieldapp/api_routes.py)."""
from marshmallow import Schema, fields


class VerdictArgsSchema(Schema):
    instance_id = fields.List(fields.String(), load_default=list,
                              metadata={"description": "repeat for each instanceID (at most 200)"})


class VerdictSchema(Schema):
    instance_id = fields.String()
    review_state = fields.String()
    geo_status = fields.String()
    distance_m = fields.Float(allow_none=True)
    reason = fields.String(allow_none=True)
    received_at = fields.DateTime()


class PhotoSchema(Schema):
    photo = fields.String(metadata={"description": "the reference to give as `photo` when resolving the case"})
