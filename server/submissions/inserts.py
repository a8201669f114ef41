"""Inserting a batch's new submissions and their attachments with Core, then handing the objects to the
session as persistent (the ORM unit of work costs more than the rest of ingest); values the database
refuses reject their item alone. Called by ingest only."""
from sqlalchemy import bindparam, inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from server.errors import ValidationFailed
from server import pg_bulk
from server.extensions import db
from server.submissions.models import Attachment, Submission

_INSERT_SUBMISSIONS = Submission.__table__.insert().returning(Submission.__table__.c.id,
                                                              sort_by_parameter_order=True)
_TABLE = Submission.__table__
_INSERT_MANY = _TABLE.insert()
_IDS_BY_INSTANCE = db.select(Submission.instance_id, Submission.id).where(
    Submission.instance_id.in_(bindparam("ids", expanding=True)))
_INSERT_ATTACHMENTS = Attachment.__table__.insert().returning(Attachment.__table__.c.id,
                                                              sort_by_parameter_order=True)


class Refused(Exception):
    """The database refused a value of the one item of an OpenRosa request (no savepoint was taken)."""

    def __init__(self, problem):
        super().__init__(problem.message)
        self.problem = problem


def new_submission(values: dict) -> Submission:
    """A transient Submission holding these column values, built as the ORM's own loading builds
    objects (no attribute events: a third of a JSON item's cost); _insert_new makes it persistent."""
    submission = inspect(Submission).class_manager.new_instance()
    submission.__dict__.update(values)
    set_committed_value(submission, "attachments", [])
    return submission


def insert_checked(created: list, alone=False) -> list:
    """Insert the batch's new submissions; when the database refuses a value, insert them one at a
    time so that only the items it refuses are rejected. Returns what was stored.

    PostgreSQL only: pysqlite's savepoints are not nested in its transaction (a RELEASE would commit),
    and SQLite holds every value the item checks let through. The lone item of an OpenRosa request
    takes no savepoint (two round trips): when refused, ingest rolls the request back and refuses it."""
    if db.session.get_bind().dialect.name != "postgresql":
        _insert_new([(o.submission, c.values) for o, c in created])
        return created
    if alone:
        try:
            _insert_new([(o.submission, c.values) for o, c in created])
            return created
        except (IntegrityError, OperationalError):
            raise
        except DBAPIError as exc:
            raise Refused(_refusal(exc)) from exc
    try:
        with db.session.begin_nested():
            _insert_new([(o.submission, c.values) for o, c in created])
        return created
    except IntegrityError:
        raise
    except DBAPIError as exc:
        if isinstance(exc, OperationalError):
            raise
    stored = []
    for outcome, candidate in created:
        try:
            with db.session.begin_nested():
                _insert_new([(outcome.submission, candidate.values)])
            stored.append((outcome, candidate))
        except IntegrityError:
            raise
        except DBAPIError as exc:
            if isinstance(exc, OperationalError):
                raise
            _undo(outcome, candidate)
            outcome.problem = _refusal(exc)
    return stored


def _refusal(exc) -> ValidationFailed:
    return ValidationFailed(f"The database cannot hold a value of this submission: "
                            f"{str(exc.orig).splitlines()[0][:300]}")


def _undo(outcome, candidate) -> None:
    """An item the database refused: its edit does not replace anything after all."""
    if candidate.values.get("replaces_id") is not None:
        replaced = db.session.get(Submission, candidate.values["replaces_id"])
        if replaced is not None:
            replaced.is_current = True
    outcome.status, outcome.submission, outcome.geo, outcome.missing_attachments = "rejected", None, None, []


def _insert_submissions(connection, rows: list) -> list:
    """The new rows' ids, in order (a batch's instanceIDs are distinct). SQLite cannot hand back
    RETURNING ids in a known order, so SQLAlchemy would send one INSERT per row: there, one
    executemany and one look-up by the unique instance_id instead (a batch of 100: 2 statements,
    not 100). PostgreSQL: one INSERT from arrays, whatever the number of rows (server/pg_bulk.py)."""
    if len(rows) == 1:
        return connection.execute(_INSERT_SUBMISSIONS, rows).scalars().all()
    if connection.dialect.name == "postgresql":
        found = dict(pg_bulk.insert_rows(connection, _TABLE, rows, returning=("instance_id", "id")).all())
    else:
        connection.execute(_INSERT_MANY, rows)
        found = dict(connection.execute(_IDS_BY_INSTANCE, {"ids": [r["instance_id"] for r in rows]}).all())
    return [found[r["instance_id"]] for r in rows]


def _insert_new(new: list) -> None:
    """INSERT the batch's new submissions and attachments with Core (RETURNING ids), then hand the
    objects to the session as persistent: the ORM unit of work costs more than the rest of ingest."""
    connection = db.session.connection()
    ids = _insert_submissions(connection, [values for _, values in new])
    attachments, rows = [], []
    for (submission, _), new_id in zip(new, ids):
        submission.id = new_id
        for attachment in submission.attachments:
            attachment.submission_id = new_id
            attachments.append(attachment)
            rows.append({"submission_id": new_id, "name": attachment.name,
                         "content_type": attachment.content_type, "size": attachment.size,
                         "sha256": attachment.sha256, "is_received": bool(attachment.is_received),
                         "received_at": attachment.received_at, "is_extra": bool(attachment.is_extra)})
    if rows:
        for attachment, new_id in zip(attachments, connection.execute(_INSERT_ATTACHMENTS, rows).scalars().all()):
            attachment.id = new_id
            make_transient_to_detached(attachment)
    for submission, _ in new:
        make_transient_to_detached(submission)
        db.session.add(submission)
