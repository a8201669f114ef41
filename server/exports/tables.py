"""A form's submissions as tables (main + one per repeat), read in scope with a server-side cursor.

Shared by the zip export and the OData feed: both see the same rows, keys and columns."""
from dataclasses import dataclass, field

from sqlalchemy import literal, select

from forms.tables import form_tables, items, merge_fields

from ..areas import services as areas
from ..areas.models import Area
from ..auth.models import User
from ..errors import Forbidden
from ..extensions import db
from ..households.models import Household
from ..models_base import UtcDateTime
from ..submissions.models import Submission
from ..submissions.services import visible
from ..surveys import services as surveys
from ..surveys.models import FormVersion
from .rows import answers_text, stamp

S = Submission.__table__
BATCH = 2000
#: metadata columns of the main table, in order
MAIN_META = ("KEY", "SubmissionDate", "CapturedAt", "FormVersion", "SubmitterName", "HouseholdCode", "AreaCode",
             "GeoStatus", "GeoDistance", "ReviewState")
REPEAT_META = ("PARENT_KEY", "KEY")


@dataclass
class Filters:
    """What a reader asked for: a period (by captured_at), an area subtree, a review state, a geo status,
    and bounds: (column, op, UTC datetime) with column received_at or captured_at, op gt, ge, lt or le."""

    period: object = None
    area_id: int | None = None
    review_state: str | None = None
    geo_status: str | None = None
    bounds: list = field(default_factory=list)


BOUND_COLUMNS = {"received_at": Submission.received_at, "captured_at": Submission.captured_at}
BOUND_OPS = {"gt": "__gt__", "ge": "__ge__", "lt": "__lt__", "le": "__le__"}


def form_and_tables(actor, form_id: str):
    """The form (404 when unknown) and its tables over all its versions, current version first."""
    form = surveys.get_form(form_id)
    if actor.role == "cadre" and form.kind == "satisfaction":
        raise Forbidden("Cadres may not export satisfaction answers.")
    versions = sorted(form.versions, key=lambda v: (not v.is_current, -v.id))
    return form, form_tables(merge_fields(surveys.fields_for(v) for v in versions))


def submissions_select(actor, form, filters: Filters, *columns):
    """A select of the form's current submissions the actor may read, filtered, oldest first."""
    version_ids = select(FormVersion.id).where(FormVersion.form_pk == form.id)
    query = visible(actor, select(*columns).select_from(Submission)
                    .where(Submission.form_version_id.in_(version_ids), Submission.is_current.is_(True)))
    f = filters
    bounds = list(f.bounds)
    if f.period is not None:
        bounds += [("captured_at", "ge", f.period.start), ("captured_at", "lt", f.period.end)]
    for column, op, moment in bounds:
        query = query.where(getattr(BOUND_COLUMNS[column], BOUND_OPS[op])(literal(moment, UtcDateTime())))
    if f.area_id is not None:
        query = query.where(Submission.area_id.in_(areas.subtree_ids(areas.get_in_scope(actor, f.area_id))))
    if f.review_state is not None:
        query = query.where(Submission.review_state == f.review_state)
    if f.geo_status is not None:
        query = query.where(Submission.geo_status == f.geo_status)
    return query


def main_select(actor, form, filters: Filters, *, raw=False):
    """The main table's select: the metadata columns (MAIN_META order) and the answers; raw: times and
    answers as the driver gives them (rows.stamp, rows.answers_text), for rows.local_texts and rows.loads."""
    received, captured, answers = Submission.received_at, Submission.captured_at, Submission.answers
    if raw:
        received, captured = stamp(received).label("received_at"), stamp(captured).label("captured_at")
        answers = answers_text(answers).label("answers")
    columns = (Submission.id, Submission.instance_id, received, captured,
               FormVersion.version, User.username, Household.code, Area.code.label("area_code"),
               Submission.geo_status, Submission.geo_distance_m, Submission.review_state, answers)
    query = submissions_select(actor, form, filters, *columns)
    return (query.join(FormVersion, FormVersion.id == Submission.form_version_id)
            .outerjoin(User, User.id == Submission.submitter_id)
            .outerjoin(Household, Household.id == Submission.household_id)
            .outerjoin(Area, Area.id == Submission.area_id))


def stream(query):
    """Rows of a select from a server-side cursor, a batch at a time (flat memory)."""
    return db.session.connection().execute(query.execution_options(yield_per=BATCH))


def repeat_rows(table, rows, parse=None):
    """(submission id, KEY, PARENT_KEY, item) for every item of a repeat table, from (id, instance_id,
    answers); parse: a function reading the answers (e.g. rows.loads for answers_text)."""
    for submission_id, instance_id, answers in rows:
        if parse is not None:
            answers = parse(answers)
        for key, parent_key, item in items(table, instance_id, answers):
            yield submission_id, key, parent_key, item
