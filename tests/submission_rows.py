"""Submission rows for tests, stored through the lifecycle as ingest stores them (so nothing derived
is written by the tests themselves), and fixtures shared by tests/cases and tests/satisfaction.
Import the fixtures into a conftest; call `store_as_ingest` from other factories."""
import hashlib
import itertools
import uuid
from datetime import timedelta

import pytest

_n = itertools.count(1)


def store_as_ingest(submission):
    """Hand a flushed Submission to the lifecycle, the one owner of what storing it changes."""
    from types import SimpleNamespace

    from server.extensions import db
    from server.submissions import lifecycle
    from server.surveys.models import FormVersion
    version = db.session.get(FormVersion, submission.form_version_id)
    actor = SimpleNamespace(id=submission.submitter_id)
    lifecycle.record_stored(actor, [lifecycle.Stored(submission, version.form.form_id, version.version)])
    return submission


@pytest.fixture
def make_submission(db):
    from server.models_base import utcnow
    from server.submissions.models import Submission
    from server.surveys.services import current_version

    def make(household, submitter, form_id="visit", answers=None, replaces=None, captured_at=None,
             instance_id=None, **fields):
        version = current_version(form_id)
        answers = dict(answers or {})
        answers.setdefault("household", household.code)
        submission = Submission(
            instance_id=instance_id or f"uuid:{uuid.uuid4()}", form_version_id=version.id, kind=form_id,
            household_id=household.id, area_id=household.area_id,
            submitter_id=getattr(submitter, "id", None), source=fields.pop("source", "json"),
            captured_at=captured_at or utcnow() - timedelta(minutes=next(_n)), answers=answers,
            content_hash=hashlib.sha256(repr(answers).encode()).hexdigest(),
            replaces_id=getattr(replaces, "id", None), geo_status=fields.pop("geo_status", "verified"), **fields)
        if replaces is not None:
            replaces.is_current = False
        db.session.add(submission)
        db.session.flush()
        store_as_ingest(submission)
        return submission
    return make


@pytest.fixture
def ingest_hook(db, app):
    """Run the lifecycle's after-store steps (satisfaction rating, cases) on a stored submission whose
    answers a test changed after making it, then commit; the steps are idempotent."""
    from server.submissions.lifecycle import AFTER_STORE

    def run(submission):
        for step in AFTER_STORE:
            step(submission)
        db.session.commit()
    return run
