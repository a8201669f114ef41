"""Submissions inserted directly (device ingest is not needed here)."""
import itertools
from datetime import datetime, timezone

import pytest
from tests.submission_rows import store_as_ingest

_ids = itertools.count(1)


@pytest.fixture
def make_visit(db):
    """A visit-kind submission for a household by a cadre; counted visits move last_counted_visit_at on."""
    from server.submissions.models import Submission
    from server.surveys.services import current_version

    def make(household, cadre, captured_at, geo_status="verified", review_state="received", is_current=True,
             answers=None, lat=None, lon=None, accuracy=5.0, form="visit", kind=None):
        if isinstance(captured_at, str):
            captured_at = datetime.fromisoformat(captured_at.replace("Z", "+00:00"))
        if captured_at.tzinfo is None:
            captured_at = captured_at.replace(tzinfo=timezone.utc)
        version = current_version(form)
        submission = Submission(
            instance_id=f"uuid:cov-{next(_ids)}", form_version_id=version.id, kind=kind or form,
            household_id=household.id, area_id=household.area_id, submitter_id=cadre.id if cadre else None,
            captured_at=captured_at, received_at=captured_at, geo_status=geo_status, review_state=review_state,
            is_current=is_current, answers=answers or {}, content_hash="x",
            lat=household.lat if lat is None else lat, lon=household.lon if lon is None else lon,
            accuracy=accuracy)
        db.session.add(submission)
        db.session.flush()
        store_as_ingest(submission)
        db.session.commit()
        return submission
    return make
