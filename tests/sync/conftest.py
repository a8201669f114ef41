"""Device-session helpers: tokens as a phone holds them, instances built from the served XForm."""
import uuid
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest

from forms.answers import build_instance_xml


@pytest.fixture
def device_token(db):
    """A raw device token for a user (what a QR code provisions)."""
    from server.auth.services import issue_device

    def issue(user, name="phone"):
        _, token = issue_device(user, name)
        db.session.commit()
        return token
    return issue


@pytest.fixture
def served_xform(client):
    """The XForm exactly as a device downloads it over OpenRosa."""
    def get(token, form_id="visit"):
        response = client.get(f"/key/{token}/openrosa/forms/{form_id}.xml")
        assert response.status_code == 200, response.data
        return response.data
    return get


def now_local(minutes_ago=0) -> str:
    """An ODK-style device timestamp (+08:00) some minutes ago."""
    tz = timezone(timedelta(hours=8))
    return (datetime.now(tz) - timedelta(minutes=minutes_ago)).isoformat(timespec="milliseconds")


def new_id() -> str:
    return f"uuid:{uuid.uuid4()}"


@pytest.fixture
def visit_xml(served_xform):
    """Submission XML for the visit form, as ODK Collect would send it."""
    def build(token, household, *, lat=None, lon=None, accuracy=5.0, instance_id=None, deprecated_id=None,
              minutes_ago=0, photo=None, concerns="", form_id="visit", **answers):
        values = {"start": now_local(minutes_ago + 5), "end": now_local(minutes_ago),
                  "household": household.code if household is not None else None,
                  "visit_type": "routine", "concerns": concerns, "photo": photo, **answers}
        if lat is not None:
            values["location"] = f"{lat} {lon} 12.0 {accuracy}"
        return build_instance_xml(served_xform(token, form_id), values, instance_id or new_id(), deprecated_id)
    return build


@pytest.fixture
def post_xml(client):
    """POST an OpenRosa submission (multipart) with optional attachments {name: bytes}."""
    def post(token, xml, files=None, incomplete=False, path=None, headers=None):
        data = {"xml_submission_file": (BytesIO(xml), "submission.xml", "text/xml")}
        for name, content in (files or {}).items():
            data[name] = (BytesIO(content), name, "image/jpeg")
        if incomplete:
            data["*isIncomplete*"] = "yes"
        url = path or f"/key/{token}/openrosa/submission"
        return client.post(url, data=data, content_type="multipart/form-data",
                           headers={"X-OpenRosa-Version": "1.0", **(headers or {})})
    return post


def offset(lat, lon, north_m=0.0, east_m=0.0):
    """A point some metres north/east of (lat, lon)."""
    import math
    return lat + north_m / 111_320.0, lon + east_m / (111_320.0 * math.cos(math.radians(lat)))
