"""Shapes of scorecard requests."""
from marshmallow import Schema, fields, validate


class ScorecardArgsSchema(Schema):
    period = fields.String(validate=validate.Length(min=4, max=16),
                           metadata={"description": "2026, 2026-H2, 2026-Q4 or 2026-11; this quarter by default"})
    area = fields.Integer()


class WeightsSchema(Schema):
    coverage = fields.Float(validate=validate.Range(0, 100))
    verified = fields.Float(validate=validate.Range(0, 100))
    satisfaction = fields.Float(validate=validate.Range(0, 100))
    cases = fields.Float(validate=validate.Range(0, 100))
