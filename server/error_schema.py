"""The shape of every JSON error body (server/errors.py writes them), for the OpenAPI document."""
import marshmallow as ma


class ProblemSchema(ma.Schema):
    """What every JSON error body is (documented as each API operation's default response)."""

    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    problem = ma.fields.String(required=True, metadata={"description": "Stable problem id, e.g. auth.throttled"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, in the interface language"})
    details = ma.fields.Dict(metadata={"description": "Facts about this problem (field, retry_after, ...)"})
    errors = ma.fields.Dict(metadata={"description": "Field errors of a request that failed validation, by location"})
