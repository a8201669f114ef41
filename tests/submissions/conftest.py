"""Factories for submissions inserted straight into the database (no ingest pipeline)."""
import hashlib
import itertools
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from tests.submission_rows import store_as_ingest

_counter = itertools.count(1)
BASE_TIME = datetime(2026, 11, 10, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def make_submission(db):
    """Insert a submission; by default a visit by the household's cadre, captured BASE_TIME + n minutes."""
    from server.submissions.models import Submission
    from server.surveys.services import current_version

    def make(household=None, submitter=None, form_id="visit", captured_at=None, answers=None, **fields):
        n = next(_counter)
        version = current_version(form_id)
        submission = Submission(
            instance_id=fields.pop("instance_id", f"uuid:{uuid.uuid4()}"),
            form_version_id=version.id, kind=fields.pop("kind", form_id if form_id in ("visit", "satisfaction")
                                                         else "other"),
            household_id=household.id if household else None,
            area_id=fields.pop("area_id", household.area_id if household else None),
            submitter_id=submitter.id if submitter else None,
            captured_at=captured_at or BASE_TIME + timedelta(minutes=n),
            lat=fields.pop("lat", household.lat if household else None),
            lon=fields.pop("lon", household.lon if household else None),
            accuracy=fields.pop("accuracy", 8.0), altitude=fields.pop("altitude", 12.5),
            geo_status=fields.pop("geo_status", "verified"), geo_distance_m=fields.pop("geo_distance_m", 12.0),
            answers=answers if answers is not None else {"household": household.code if household else None},
            content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
            **fields,
        )
        db.session.add(submission)
        db.session.flush()
        store_as_ingest(submission)
        db.session.commit()
        return submission
    return make


@pytest.fixture
def make_attachment(db, app):
    """Attach a file; when received, its bytes are written where the ingest stores them."""
    from server.submissions.models import Attachment

    def make(submission, name="photo.jpg", data=b"\xff\xd8\xff\xe0 fake jpeg", content_type="image/jpeg",
             received=True, write_file=True):
        digest = hashlib.sha256(data).hexdigest()
        if received and write_file:
            folder = os.path.join(app.config["ATTACHMENT_DIR"], digest[:2])
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, digest), "wb") as out:
                out.write(data)
        attachment = Attachment(submission_id=submission.id, name=name, content_type=content_type,
                                size=len(data), sha256=digest, is_received=received,
                                received_at=datetime.now(timezone.utc) if received else None)
        db.session.add(attachment)
        db.session.commit()
        return attachment
    return make
