"""The one idempotent ingestion pipeline that OpenRosa and JSON sync both call.

Flow per batch: prepare each upload (parse, find the form version, flatten answers), load what
the batch needs in a few queries (existing instanceIDs, households; for a resident's answer the
submitter's previous fixes), decide each item (duplicate, conflict, edit, new), insert the new ones
(inserts.py), hand them to the lifecycle (server/submissions/lifecycle.py: households, audit,
cases, ratings) and quarantine what was refused. Each item stands alone: one that cannot be read or stored is refused by itself.
A concurrent insert of the same instanceID, a deadlock or a serialization failure runs the batch
again. Callers commit.
"""
import bisect
from dataclasses import dataclass, field
from flask import current_app
from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError, OperationalError

from server.errors import HouseholdForbidden, Problem, SubmissionConflict, SubmissionNotFound
from server.extensions import db
from server.geo import Fix, GeoResult, check_location
from server.models_base import utcnow
from server.submissions import checks
from server.submissions.models import Attachment, QuarantineItem, Submission

from . import households_sql, inserts, lifecycle, prepare, storage
from .prepare import Candidate, FilePart, Upload  # noqa: F401  (re-exported for routes and tests)

MAX_ATTEMPTS = 5
#: SQLSTATEs worth running the batch again for: deadlock detected, serialization failure
RETRY_STATES = ("40P01", "40001")


@dataclass
class Outcome:
    """What became of one upload: accepted | duplicate | conflict | rejected."""
    upload: Upload
    status: str = "rejected"
    submission: Submission | None = None
    problem: Problem | None = None
    missing_attachments: list = field(default_factory=list)
    geo: object = None
    instance_id: str | None = None
    quarantine: QuarantineItem | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("accepted", "duplicate")


def ingest(actor, device, uploads: list[Upload], *, quarantine: bool = True) -> list[Outcome]:
    """Ingest uploads from one actor/device; refused ones are quarantined. Flushes, never commits."""
    alone = len(uploads) == 1 and uploads[0].protocol == "openrosa"
    for attempt in range(MAX_ATTEMPTS):
        # the lone item of an OpenRosa request without files is first taken as new, without looking
        # for its instanceID (nearly every one is): the unique instanceID refuses a duplicate's
        # INSERT, and the request runs again with the look-up, which answers "duplicate"; an item
        # refused before its INSERT is looked up too (a resend is a duplicate whatever changed since)
        optimistic = alone and attempt == 0 and not uploads[0].files
        try:
            outcomes = _run(actor, device, uploads, alone, optimistic)
            break
        except _LookUpFirst:  # nothing was written: run again with the look-up (and its retries)
            continue
        except inserts.Refused as exc:  # the database refused the lone item: its request stores nothing else
            db.session.rollback()
            uploads[0].problem = exc.problem
            outcomes = _run(actor, device, uploads, alone)
            break
        except (IntegrityError, OperationalError) as exc:
            # another request stored one of these instanceIDs first (it is now a duplicate), or
            # PostgreSQL chose this transaction as a deadlock's victim: start again
            if isinstance(exc, OperationalError) and _sqlstate(exc) not in RETRY_STATES:
                raise
            (current_app.logger.info if optimistic else current_app.logger.warning)(
                "ingest: batch of %d run again (attempt %d): %s", len(uploads), attempt + 2,
                _sqlstate(exc) or type(exc).__name__)
            db.session.rollback()
            if attempt == MAX_ATTEMPTS - 1:
                raise
    if quarantine:
        for outcome in outcomes:
            if outcome.problem is not None:
                outcome.quarantine = quarantine_upload(actor, device, outcome.upload, outcome.problem,
                                                       outcome.instance_id)
        db.session.flush()
    return outcomes


class _LookUpFirst(Exception):
    """The lone item taken as new without a look-up was refused before its INSERT: it may be a
    duplicate, which is answered as one before anything else is decided."""


def _sqlstate(exc) -> str | None:
    return getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None), "pgcode", None)


def _run(actor, device, uploads, alone=False, optimistic=False):
    now = utcnow()
    config = current_app.config
    outcomes = [Outcome(upload=u) for u in uploads]
    known = households_sql.Households(actor)
    known.load_ids(u.item.get("household_id") for u in uploads if u.item and isinstance(u.item, dict))
    candidates, versions = [], {}
    for outcome in outcomes:
        try:
            candidate = prepare.prepare(outcome.upload, now, known, versions)
            outcome.instance_id = candidate.instance_id
            candidates.append((outcome, candidate))
        except Problem as exc:
            outcome.problem = exc
            outcome.instance_id = prepare.guess_instance_id(outcome.upload)
    known.load_codes(c.household_code for _, c in candidates if c.household_code)
    wanted = {c.instance_id for _, c in candidates} | {c.deprecated_id for _, c in candidates if c.deprecated_id}
    skipped = optimistic and not any(c.deprecated_id for _, c in candidates)
    existing = {} if skipped else _existing(wanted)
    # the travel-speed check against the previous fix decides only a resident answer's verdict: every
    # other new item gets its verdict from checks.check_new, which looks at the neighbours itself
    fixes = _Fixes(actor.id, [c.captured_at for _, c in candidates if c.point and c.upload.protocol == "resident"])
    created = []
    for outcome, candidate in candidates:
        try:
            _decide(actor, device, outcome, candidate, existing, known, fixes, now, config)
        except Problem as exc:
            if skipped:
                raise _LookUpFirst() from exc
            outcome.problem = exc
            outcome.status = "conflict" if isinstance(exc, SubmissionConflict) else "rejected"
            continue
        if outcome.status == "accepted":
            created.append((outcome, candidate))
    if created:
        checks.check_new(actor, device, created, now, config, known)  # verdicts, stored neighbours re-evaluated
        created = inserts.insert_checked(created, alone)
    db.session.flush()  # edits' replaced versions, duplicates' newly received attachments
    if created:
        lifecycle.record_stored(actor, [lifecycle.Stored(o.submission, c.version.form_id, c.version.version)
                                        for o, c in created], now)
    return outcomes


_IDS_OF_INSTANCES = db.select(Submission.id).where(Submission.instance_id.in_(bindparam("ids", expanding=True)))
_BY_IDS = db.select(Submission).where(Submission.id.in_(bindparam("ids", expanding=True)))
_FIX_COLUMNS = db.select(Submission.captured_at, Submission.lat, Submission.lon, Submission.id).where(
    Submission.submitter_id == bindparam("submitter"), Submission.lat.is_not(None), Submission.is_current.is_(True))
_FIX_BEFORE = _FIX_COLUMNS.where(Submission.captured_at < bindparam("lo")).order_by(
    Submission.captured_at.desc()).limit(1)
_FIX_BETWEEN = _FIX_COLUMNS.where(Submission.captured_at.between(bindparam("lo"), bindparam("hi"))).limit(2000)


def _existing(instance_ids: set) -> dict:
    if not instance_ids:
        return {}
    # plain Core first: the usual answer is "none", and then no ORM loading is needed
    ids = db.session.connection().execute(_IDS_OF_INSTANCES, {"ids": list(instance_ids)}).scalars().all()
    if not ids:
        return {}
    return {s.instance_id: s for s in db.session.scalars(_BY_IDS, {"ids": ids})}


def _decide(actor, device, outcome, c: Candidate, existing, known, fixes, now, config):
    """Store one prepared item, or tell it is a duplicate; raise a Problem to refuse it."""
    found = existing.get(c.instance_id)
    if found is not None:
        if found.content_hash != c.content_hash:
            raise SubmissionConflict(f"A different submission with instanceID {c.instance_id} exists.",
                                     instance_id=c.instance_id)
        outcome.status, outcome.submission = "duplicate", found
        outcome.missing_attachments = receive_files(found, c.upload.files, now)
        outcome.geo = _geo_of(found)
        return
    replaced = None
    if c.deprecated_id:
        replaced = existing.get(c.deprecated_id)
        if replaced is None:
            raise SubmissionNotFound(f"No submission {c.deprecated_id} to edit (deprecatedID).",
                                     deprecated_id=c.deprecated_id)
        if not replaced.is_current:
            raise SubmissionConflict(f"Submission {c.deprecated_id} was already replaced by an edit.",
                                     deprecated_id=c.deprecated_id)
    household = known.resolve(c)
    if household is not None and not known.may_submit(household):
        raise HouseholdForbidden(f"You may not submit for household {household.code}.", household=household.code)
    if c.needs_xml:
        prepare.finish_json(c, household)
    previous = fixes.before(c.captured_at, exclude=replaced.id if replaced is not None else None) \
        if c.upload.protocol == "resident" else None
    geo = check_location(c.point, household.lat if household else None, household.lon if household else None,
                         captured_at=c.captured_at, received_at=now, config=config, is_mock=c.is_mock,
                         previous=previous, has_household=household is not None)
    point = c.point or {}
    values = dict(
        instance_id=c.instance_id, form_version_id=c.version.id, kind=c.version.kind,
        household_id=household.id if household else None, area_id=household.area_id if household else None,
        submitter_id=actor.id, device_id=getattr(device, "id", None), source=c.upload.protocol,
        captured_at=c.captured_at, received_at=now, lat=point.get("lat"), lon=point.get("lon"),
        altitude=point.get("altitude"), accuracy=point.get("accuracy"), is_mock=c.is_mock,
        geo_status=geo.status, geo_distance_m=geo.distance_m, geo_reason=geo.reason, answers=c.answers,
        raw_xml=c.raw_xml, content_hash=c.content_hash,
        review_state="edited" if replaced is not None else "received", is_current=True,
        replaces_id=replaced.id if replaced is not None else None, rated_cadre_id=None, is_self_rated=False,
    )
    if c.version.kind == "satisfaction" and household is not None:
        values["rated_cadre_id"], values["is_self_rated"] = household.cadre_id, household.cadre_id == actor.id
    if replaced is not None:
        replaced.is_current = False
    submission = inserts.new_submission(values)
    c.values = values
    if c.raw_xml is not None and c.upload.protocol != "json" and c.raw_xml.encode("utf-8") != c.upload.payload:
        storage.store_bytes(c.upload.payload, c.content_hash)  # the exact bytes of a non-UTF-8 payload
    _attach(submission, c, replaced, now)
    existing[c.instance_id] = submission
    if c.point:
        fixes.add(c.captured_at, point["lat"], point["lon"])
    if household is not None:
        known.note_visit(household, c, geo, config)
    outcome.status, outcome.submission, outcome.geo = "accepted", submission, geo
    outcome.missing_attachments = [a.name for a in submission.attachments if not a.is_received]


def _geo_of(submission):
    return GeoResult(submission.geo_status, submission.geo_distance_m, submission.geo_reason)


def _attach(submission, c: Candidate, replaced, now):
    """Attachment rows for every file the submission names; bytes that came along are stored."""
    carried = {a.name: a for a in replaced.attachments} if replaced is not None else {}
    for spec in c.attachments:
        name = spec["name"]
        old = carried.get(name)
        row = Attachment(name=name, content_type=spec.get("content_type") or storage.guess_type(name),
                         size=spec.get("size"), sha256=spec.get("sha256"), is_received=False)
        if old is not None and old.is_received and (row.sha256 in (None, old.sha256)):
            row.sha256, row.size, row.content_type = old.sha256, old.size, old.content_type
            row.is_received, row.received_at = True, old.received_at
        submission.attachments.append(row)
    receive_files(submission, c.upload.files, now)


def receive_files(submission, files: dict, now) -> list[str]:
    """Store the bytes of named, not yet received attachments, and keep files the form does not name
    as extra attachments (never dropped); returns the names still missing."""
    named = {row.name for row in submission.attachments}
    for name in files:
        if name not in named:
            submission.attachments.append(Attachment(name=name, is_received=False, is_extra=True))
    missing = []
    for row in submission.attachments:
        part = files.get(row.name) if not row.is_received else None
        if part is not None:
            digest = storage.sha256_of(part.data)
            if row.sha256 is None or row.sha256 == digest:
                storage.store_bytes(part.data, digest)
                row.sha256, row.size, row.is_received, row.received_at = digest, len(part.data), True, now
                row.content_type = storage.guess_type(row.name, part.content_type)
        if not row.is_received:
            missing.append(row.name)
    return missing


def quarantine_upload(actor, device, upload: Upload, problem: Problem, instance_id=None) -> QuarantineItem:
    """Keep a refused payload raw with its reason (added to the session; the caller commits)."""
    detail = problem.message
    errors = problem.details.get("errors") if problem.details else None
    if errors:
        detail += "\n" + "\n".join(f"{e.get('path', '')}: {e.get('message', '')}" for e in errors)[:4000]
    item = QuarantineItem(
        protocol=upload.protocol, reason=problem.problem, detail=detail, instance_id=(instance_id or "")[:100] or None,
        user_id=getattr(actor, "id", None), device_id=getattr(device, "id", None),
        content_type=(upload.content_type or "")[:100] or None, payload=upload.payload or b"",
        files=sorted(upload.files) or None, received_at=utcnow(),
    )
    db.session.add(item)
    return item


class _Fixes:
    """The submitter's fixes (DB and this batch) by capture time, for the travel-speed check."""

    def __init__(self, submitter_id, times):
        self.items: list = []
        if not times:
            return
        lo, hi = min(times), max(times)
        connection = db.session.connection()
        rows = list(connection.execute(_FIX_BEFORE, {"submitter": submitter_id, "lo": lo}))
        if hi > lo:
            rows += connection.execute(_FIX_BETWEEN, {"submitter": submitter_id, "lo": lo, "hi": hi})
        self.items = sorted((r[0], r[1], r[2], r[3]) for r in rows)

    def before(self, at, exclude=None) -> Fix | None:
        index = bisect.bisect_left(self.items, (at,))
        while index > 0:
            index -= 1
            captured_at, lat, lon, sid = self.items[index]
            if sid is None or sid != exclude:
                return Fix(lat, lon, captured_at)
        return None

    def add(self, at, lat, lon):
        bisect.insort(self.items, (at, lat, lon, None), key=lambda t: t[:3])
