"""Fixtures shared by tests/cases and tests/satisfaction: submission rows as ingest would store them,
and ingest's hooks run on them. Import them into a conftest."""
import hashlib
import itertools
import uuid
from datetime import timedelta

import pytest

_n = itertools.count(1)


@pytest.fixture
def make_submission(db):
    from server.models_base import utcnow
    from server.coverage.services import record_counted_visit
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
        record_counted_visit(submission)  # as ingest does
        return submission
    return make


@pytest.fixture
def ingest_hook(db, app):
    """Run the ingest hooks create_app wired (server.submissions.ingest.AFTER_INGEST) on a stored submission, then commit."""
    from server.submissions.ingest import AFTER_INGEST

    def run(submission):
        for hook in AFTER_INGEST:
            hook(submission)
        db.session.commit()
    return run
