"""A household survey with nested repeats and photos, published as an XLSForm and filled over OpenRosa."""
import threading
from datetime import datetime, timedelta, timezone

import pytest

from forms.answers import build_instance_xml
from tests.sync.conftest import new_id

SURVEY = {
    "survey": [
        {"type": "select_one_from_file households.csv", "name": "household", "required": "yes",
         "label::中文 (zh)": "农户", "label::English (en)": "Household"},
        {"type": "geopoint", "name": "location", "label::中文 (zh)": "位置", "label::English (en)": "Location"},
        {"type": "select_one yes_no", "name": "has_water", "label::中文 (zh)": "通自来水", "label::English (en)": "Tap water"},
        {"type": "image", "name": "photo", "label::中文 (zh)": "照片", "label::English (en)": "Photo"},
        {"type": "begin_repeat", "name": "members", "label::中文 (zh)": "家庭成员", "label::English (en)": "Members"},
        {"type": "text", "name": "member_name", "label::中文 (zh)": "姓名", "label::English (en)": "Name"},
        {"type": "select_multiple skills", "name": "skills", "label::中文 (zh)": "技能", "label::English (en)": "Skills"},
        {"type": "image", "name": "member_photo", "label::中文 (zh)": "成员照片", "label::English (en)": "Member photo"},
        {"type": "begin_repeat", "name": "jobs", "label::中文 (zh)": "工作经历", "label::English (en)": "Jobs"},
        {"type": "text", "name": "job_title", "label::中文 (zh)": "职务", "label::English (en)": "Job"},
        {"type": "integer", "name": "months", "label::中文 (zh)": "月数", "label::English (en)": "Months"},
        {"type": "end_repeat", "name": "jobs"},
        {"type": "end_repeat", "name": "members"},
    ],
    "choices": [
        {"list_name": "yes_no", "name": "yes", "label::中文 (zh)": "是", "label::English (en)": "Yes"},
        {"list_name": "yes_no", "name": "no", "label::中文 (zh)": "否", "label::English (en)": "No"},
        {"list_name": "skills", "name": "farm", "label::中文 (zh)": "务农", "label::English (en)": "Farming"},
        {"list_name": "skills", "name": "craft", "label::中文 (zh)": "手艺", "label::English (en)": "Crafts"},
    ],
    "settings": [{"form_id": "hh_survey", "form_title": "农户情况调查", "version": "1",
                  "default_language": "中文 (zh)"}],
}
CST = timezone(timedelta(hours=8))


def members(prefix, n, jobs):
    """n members, each with its own photo and `jobs` jobs (Chinese text throughout)."""
    return [{"member_name": f"{prefix}成员{i}", "skills": "farm craft" if i % 2 else "farm",
             "member_photo": f"{prefix}-m{i}.jpg",
             "jobs": [{"job_title": f"职务{i}-{j}", "months": str(6 * j)} for j in range(1, jobs + 1)]}
            for i in range(1, n + 1)]


@pytest.fixture
def survey(db, world, client, token_for):
    """The form published, and five submissions over OpenRosa (three in village 1, two in village 2)."""
    from io import BytesIO

    from forms.xlsform import convert
    from server.auth.services import issue_device
    from server.surveys.services import publish
    publish(None, convert(SURVEY), kind="other")
    db.session.commit()
    tokens = {}
    for user in (world.cadre, world.cadre2):
        tokens[user.id] = issue_device(user, "phone")[1]
    db.session.commit()
    sent = []
    plan = [(world.cadre, world.h1, "甲", 2, 1, "2026-11-03T09:00:00"), (world.cadre, world.h2, "乙", 1, 2,
            "2026-11-10T10:30:00"), (world.cadre, world.h1, "丙", 0, 0, "2026-12-01T08:00:00"),
            (world.cadre2, world.h3, "丁", 3, 2, "2026-11-12T15:00:00"), (world.cadre2, world.h4, "戊", 1, 0,
            "2026-10-20T11:00:00")]
    for user, household, prefix, n, jobs, captured in plan:
        token = tokens[user.id]
        xform = client.get(f"/key/{token}/openrosa/forms/hh_survey.xml").data
        answers = {"household": household.code, "location": f"{household.lat} {household.lon} 35.5 4.0",
                   "has_water": "yes", "photo": f"{prefix}.jpg", "members": members(prefix, n, jobs)}
        instance_id = new_id()
        xml = build_instance_xml(xform, answers, instance_id)
        files = {f"{prefix}.jpg": f"photo of {prefix}".encode()}
        files.update({m["member_photo"]: f"member photo {m['member_name']}".encode() for m in answers["members"]})
        data = {"xml_submission_file": (BytesIO(xml), "submission.xml", "text/xml")}
        data.update({name: (BytesIO(content), name, "image/jpeg") for name, content in files.items()})
        response = client.post(f"/key/{token}/openrosa/submission", data=data, content_type="multipart/form-data",
                               headers={"X-OpenRosa-Version": "1.0"})
        assert response.status_code == 201, response.data
        sent.append({"instance_id": instance_id, "answers": answers, "files": files, "user": user,
                     "household": household, "captured": datetime.fromisoformat(captured).replace(tzinfo=CST)})
    _set_capture_times(db, sent)
    return sent


def _set_capture_times(db, sent):
    """Spread the capture times over the quarter (the instances carry no start/end)."""
    from server.submissions.models import Submission
    for item in sent:
        row = db.session.scalar(db.select(Submission).filter_by(instance_id=item["instance_id"]))
        row.captured_at = item["captured"].astimezone(timezone.utc)
    db.session.commit()


@pytest.fixture
def https_server(app):
    """The app over real HTTPS (a throwaway certificate), as Excel and Power BI reach it."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context="adhoc")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"https://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    thread.join(timeout=5)
