"""Submissions as managers see them: scoped lists, detail, attachment files, review."""
import os
import re

from flask import current_app
from sqlalchemy.orm import defer, selectinload

from ..areas import services as areas
from ..audit.models import AuditEntry
from ..coverage.sql_hints import unindexed
from ..auth.models import User
from ..auth.services import require_role
from ..errors import NotFound
from ..extensions import db
from ..households.models import Household
from ..households.services import scope_filter
from ..surveys.models import Form, FormVersion
from . import lifecycle
from .models import FLAGGED_GEO_STATUSES, Attachment, Submission

#: content types a browser may render inline without risk; anything else is sent as a download
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic",
                          "audio/mpeg", "audio/mp4", "audio/ogg", "audio/wav", "audio/amr", "audio/aac",
                          "video/mp4", "video/3gpp", "video/webm"})
_SHA256 = re.compile(r"[0-9a-f]{64}")
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
#: submission ids are 64-bit; a larger number in a URL is simply not found
MAX_SUBMISSION_ID = 2**63 - 1


class SubmissionView:
    """A submission with the computed parts the API shows beside its columns."""

    def __init__(self, submission: Submission, **extra):
        self._submission = submission
        self.__dict__.update(extra)

    def __getattr__(self, name):
        return getattr(self._submission, name)


def _summary_options():
    """Load what a list item shows, and nothing else (no XForm XML, no household PII).

    Separate IN queries per page rather than joins, so the database can pick the page of
    submissions from an index before touching any other table."""
    return (
        defer(Submission.raw_xml),
        selectinload(Submission.household).load_only(Household.id, Household.code),
        selectinload(Submission.submitter).load_only(User.id, User.username, User.display_name),
        selectinload(Submission.form_version).load_only(FormVersion.id, FormVersion.version, FormVersion.form_pk)
        .selectinload(FormVersion.form).load_only(Form.id, Form.form_id),
    )


def visible(actor, query):
    """Restrict a select of submissions to what the actor may read.

    Managers and admins: everything in scope. Cadres: the non-satisfaction submissions they made
    for their linked households, never satisfaction answers. Surveyors: the satisfaction answers they
    collected themselves."""
    query = scope_filter(actor, query, Submission.household_id, Submission.area_id)
    if actor.role == "cadre":
        query = query.where(Submission.submitter_id == actor.id, Submission.kind != "satisfaction")
    elif actor.role == "surveyor":
        query = query.where(Submission.submitter_id == actor.id, Submission.kind == "satisfaction")
    elif actor.role not in ("admin", "manager"):
        query = query.where(db.false())
    return query


def list_submissions(actor, *, form=None, kind=None, area=None, cadre=None, household=None, from_=None,
                     to=None, geo_status=None, review_state=None, flagged=None, current_only=True):
    """A select of the submissions the actor may read, filtered, newest first."""
    query = visible(actor, db.select(Submission))
    if form is not None:
        versions = db.select(FormVersion.id).join(Form).where(Form.form_id == form)
        query = query.where(Submission.form_version_id.in_(versions))
    if area is not None:
        query = query.where(Submission.area_id.in_(areas.subtree_ids(areas.get_in_scope(actor, area))))
    # one household's: through its index (household, captured_at), which gives the order too
    kind_column = unindexed(Submission.kind) if household is not None else Submission.kind
    for column, value in ((kind_column, kind), (Submission.submitter_id, cadre),
                          (Submission.household_id, household), (Submission.geo_status, geo_status),
                          (Submission.review_state, review_state)):
        if value is not None:
            query = query.where(column == value)
    if flagged:
        query = query.where(Submission.geo_status.in_(FLAGGED_GEO_STATUSES), Submission.household_id.in_(
            db.select(Household.id).where(Household.is_active.is_(True))))
    elif flagged is False:
        query = query.where(Submission.geo_status.not_in(FLAGGED_GEO_STATUSES))
    if from_ is not None:
        query = query.where(Submission.captured_at >= from_)
    if to is not None:
        query = query.where(Submission.captured_at < to)
    if current_only:
        query = query.where(Submission.is_current.is_(True))
    return (query.order_by(Submission.captured_at.desc(), Submission.id.desc())
            .options(defer(Submission.answers), *_summary_options()))


def summarise(submissions) -> list[SubmissionView]:
    """List items: each submission with its attachment count (one grouped query per page)."""
    ids = [s.id for s in submissions]
    counts = dict(db.session.execute(
        db.select(Attachment.submission_id, db.func.count())
        .where(Attachment.submission_id.in_(ids)).group_by(Attachment.submission_id)
    ).all()) if ids else {}
    return [SubmissionView(s, attachment_count=counts.get(s.id, 0)) for s in submissions]


def get_in_scope(actor, submission_id: int) -> Submission:
    """The submission, or 404 when it is missing or the actor may not read it."""
    if not 0 < submission_id <= MAX_SUBMISSION_ID:
        raise NotFound(f"No submission {submission_id} in your scope.")
    query = visible(actor, db.select(Submission).where(Submission.id == submission_id))
    submission = db.session.scalar(query.options(*_summary_options()))
    if submission is None:
        raise NotFound(f"No submission {submission_id} in your scope.")
    return submission


def _version_ref(submission_id):
    if submission_id is None:
        return None
    return db.session.execute(
        db.select(Submission.id, Submission.instance_id, Submission.received_at, Submission.review_state,
                  Submission.is_current).where(Submission.id == submission_id)
    ).mappings().one_or_none()


def _replaced_by_id(submission_id):
    return db.session.scalar(db.select(Submission.id).where(Submission.replaces_id == submission_id)
                             .order_by(Submission.id).limit(1))


def version_chain(submission: Submission, limit: int = 100) -> dict:
    """The edits around a submission: what it replaces, what replaced it, and the whole chain.

    Only versions no longer current are looked up as replaced (the newest edit of each by
    ix_submissions_replaces)."""
    this = _version_ref(submission.id)
    older, ref = [], _version_ref(submission.replaces_id)
    while ref is not None and len(older) < limit:
        older.append(ref)
        ref = _version_ref(db.session.scalar(db.select(Submission.replaces_id).where(Submission.id == ref["id"])))
    newer, ref = [], this
    while not ref["is_current"] and len(newer) < limit:
        ref = _version_ref(_replaced_by_id(ref["id"]))
        if ref is None:
            break
        newer.append(ref)
    return {"replaces": older[0] if older else None, "replaced_by": newer[0] if newer else None,
            "chain": list(reversed(older)) + [this] + newer}


def history(submission: Submission) -> list[dict]:
    """The audit entries about a submission, oldest first, with who made them."""
    rows = db.session.execute(
        db.select(AuditEntry, User).outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.target_type == "submission", AuditEntry.target_id == str(submission.id))
        .order_by(AuditEntry.id)
    ).all()
    return [{"action": entry.action, "created_at": entry.created_at, "details": entry.details,
             "actor": user} for entry, user in rows]


def get_detail(actor, submission_id: int) -> SubmissionView:
    """A submission with its answers, attachments, versions and history."""
    submission = get_in_scope(actor, submission_id)
    return SubmissionView(submission, attachment_count=len(submission.attachments),
                          versions=version_chain(submission), history=history(submission))


def get_attachment(actor, submission_id: int, name: str) -> Attachment:
    """A received attachment of a submission the actor may read, or 404."""
    submission = get_in_scope(actor, submission_id)
    if not name or len(name) > 255 or name in (".", "..") or _BAD_NAME.search(name):
        raise NotFound(f"No attachment {name!r}.")
    attachment = db.session.scalar(db.select(Attachment).filter_by(submission_id=submission.id, name=name))
    if attachment is None or not attachment.is_received:
        raise NotFound(f"Attachment {name!r} has not been received.")
    return attachment


def attachment_path(attachment: Attachment) -> str | None:
    """Where an attachment's bytes are stored (content-addressed by sha256), or None if absent.

    The layout is <ATTACHMENT_DIR>/<sha256[:2]>/<sha256>; <sha256[:2]>/<sha256[2:4]>/<sha256> is
    read too (what sync/storage.py writes at the time of writing)."""
    digest = (attachment.sha256 or "").lower()
    if not _SHA256.fullmatch(digest):
        return None
    root = current_app.config["ATTACHMENT_DIR"]
    for path in (os.path.join(root, digest[:2], digest), os.path.join(root, digest[:2], digest[2:4], digest)):
        if os.path.isfile(path):
            return path
    return None


def safe_content_type(attachment: Attachment) -> str:
    """The declared type when a browser may show it inline, else application/octet-stream."""
    declared = (attachment.content_type or "").split(";")[0].strip().lower()
    return declared if declared in INLINE_TYPES else "application/octet-stream"


def attachment_file(actor, submission_id: int, name: str) -> tuple[Attachment, str]:
    """The attachment and the path of its bytes; 404 when not received or the file is missing."""
    attachment = get_attachment(actor, submission_id, name)
    path = attachment_path(attachment)
    if path is None:
        raise NotFound(f"The file of attachment {name!r} is not stored.")
    return attachment, path


def review_submission(actor, submission_id: int, review_state: str, comment: str | None = None) -> Submission:
    """Managers and admins set the review state of a current submission in their scope (audited)."""
    require_role(actor, "admin", "manager")
    return lifecycle.set_review_state(actor, get_in_scope(actor, submission_id), review_state, comment)
