"""Shapes of submissions on the API: list items, detail, filters, review."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from marshmallow import Schema, ValidationError, fields, validate

from ..surveys.models import KINDS
from .models import GEO_STATUSES, REVIEW_STATES
from .reasons import reason_text

REVIEWABLE_STATES = ("has_issues", "approved", "rejected")
#: ids of areas, users and households are 32-bit: a larger number is bad input, not a database error
MAX_ID = 2**31 - 1


def Id(**kwargs):  # noqa: N802  (a field factory)
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class Moment(fields.String):
    """An ISO date or datetime; dates and naive times are read in the deployment's time zone.

    A bare date given as an upper bound (`end_of_day=True`) covers that whole day."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Give an ISO 8601 date or datetime.")
        zone = ZoneInfo(current_app.config["TIMEZONE"])
        try:
            if len(value) == 10:
                day = date.fromisoformat(value)
                moment = datetime.combine(day + timedelta(days=1) if self.end_of_day else day, time(), zone)
            else:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError("Give an ISO 8601 date or datetime.") from exc
        return moment if moment.tzinfo else moment.replace(tzinfo=zone)


class SubmissionQueryArgsSchema(Schema):
    form = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "form id, e.g. visit"})
    kind = fields.String(validate=validate.OneOf(KINDS))
    area = Id(metadata={"description": "area id; its whole subtree"})
    cadre = Id(metadata={"description": "submitter's user id"})
    household = Id(metadata={"description": "household id"})
    from_ = Moment(data_key="from", metadata={"description": "captured at or after (date or datetime)"})
    to = Moment(end_of_day=True,
                metadata={"description": "captured before this datetime, or on or before this date"})
    geo_status = fields.String(validate=validate.OneOf(GEO_STATUSES))
    review_state = fields.String(validate=validate.OneOf(REVIEW_STATES))
    flagged = fields.Boolean(metadata={"description": "only flagged visits (far, suspect, low accuracy, no location) "
                                                      "of active households, as the dashboard counts them"})
    current_only = fields.Boolean(load_default=True,
                                  metadata={"description": "hide versions replaced by an edit"})


class SubmissionReviewSchema(Schema):
    review_state = fields.String(required=True, validate=validate.OneOf(REVIEWABLE_STATES))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class BulkReviewSchema(Schema):
    ids = fields.List(Id(), required=True, validate=validate.Length(1, 500))
    decision = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class FlaggedArgsSchema(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))


class SubmissionHouseholdSchema(Schema):
    id = fields.Integer()
    code = fields.String()


class SubmissionUserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()


def _location(submission) -> dict:
    return {"lat": submission.lat, "lon": submission.lon,
            "accuracy": submission.accuracy, "altitude": submission.altitude}


def _geo(submission) -> dict:
    flags = [f for f in getattr(submission, "geo_flags", None) or [] if isinstance(f, dict)]
    return {"status": submission.geo_status, "distance_m": submission.geo_distance_m,
            "reason": submission.geo_reason, "base_status": getattr(submission, "base_geo_status", None),
            "flags": [{**f, "zh": reason_text(f, "zh"), "en": reason_text(f, "en")} for f in flags]}


class SubmissionSchema(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    form_id = fields.String(attribute="form_version.form.form_id")
    form_version = fields.String(attribute="form_version.version")
    kind = fields.String()
    household = fields.Nested(SubmissionHouseholdSchema, allow_none=True)
    submitter = fields.Nested(SubmissionUserSchema, allow_none=True)
    captured_at = fields.DateTime()
    received_at = fields.DateTime()
    location = fields.Function(_location)
    geo = fields.Function(_geo)
    review_state = fields.String()
    attachment_count = fields.Integer()


class SubmissionAttachmentSchema(Schema):
    name = fields.String()
    content_type = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    received = fields.Boolean(attribute="is_received")
    #: uploaded although the form does not name it (kept, never dropped)
    extra = fields.Boolean(attribute="is_extra")
    received_at = fields.DateTime(allow_none=True)
    download_url = fields.Function(
        lambda a: url_for("submissions.SubmissionAttachment", submission_id=a.submission_id, name=a.name)
        if a.is_received else None)


class SubmissionVersionSchema(Schema):
    id = fields.Integer()
    instance_id = fields.String()
    received_at = fields.DateTime()
    review_state = fields.String()
    is_current = fields.Boolean()


class SubmissionAuditSchema(Schema):
    action = fields.String()
    actor = fields.Nested(SubmissionUserSchema, allow_none=True)
    created_at = fields.DateTime()
    details = fields.Dict(allow_none=True)


class SubmissionVersionsSchema(Schema):
    replaces = fields.Nested(SubmissionVersionSchema, allow_none=True)
    replaced_by = fields.Nested(SubmissionVersionSchema, allow_none=True)
    chain = fields.List(fields.Nested(SubmissionVersionSchema), metadata={"description": "oldest first"})


class SubmissionDetailSchema(SubmissionSchema):
    source = fields.String()
    device_id = fields.Integer(allow_none=True)
    is_mock = fields.Boolean()
    review_comment = fields.String(allow_none=True)
    is_current = fields.Boolean()
    rated_cadre_id = fields.Integer(allow_none=True)
    is_self_rated = fields.Boolean()
    answers = fields.Dict()
    attachments = fields.List(fields.Nested(SubmissionAttachmentSchema))
    versions = fields.Nested(SubmissionVersionsSchema)
    history = fields.List(fields.Nested(SubmissionAuditSchema))
