"""Web page fixtures: visits as Submission rows; the live server and chromium come from tests/web/browsing.py."""
import itertools
import uuid
from datetime import timedelta

import pytest

from tests.web.browsing import artifacts, browser, live_server  # noqa: F401  (shared fixtures)
from tests.submission_rows import store_as_ingest

_counter = itertools.count(1)


@pytest.fixture
def make_visit(db):
    """A visit Submission row as ingest would store it (geo status given, not computed)."""
    from server.models_base import utcnow
    from server.submissions.models import Submission
    from server.surveys.services import current_version

    def make(household, cadre, *, days_ago=1, captured_at=None, geo_status="verified", distance=12.0,
             review_state="received", kind="visit", lat=None, lon=None):
        n = next(_counter)
        submission = Submission(
            instance_id=f"uuid:{uuid.uuid4()}", form_version_id=current_version(kind).id, kind=kind,
            household_id=household.id, area_id=household.area_id, submitter_id=cadre.id,
            captured_at=captured_at or utcnow() - timedelta(days=days_ago), geo_status=geo_status,
            geo_distance_m=distance, lat=household.lat if lat is None else lat,
            lon=household.lon if lon is None else lon, accuracy=8.0, answers={"household": household.code},
            content_hash=f"{n:064x}", review_state=review_state)
        db.session.add(submission)
        db.session.flush()
        store_as_ingest(submission)
        db.session.commit()
        return submission
    return make
