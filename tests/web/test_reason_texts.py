"""A flagged visit's reasons read in Chinese on the visits list and the visit page (one reasons module)."""
from datetime import datetime, timedelta, timezone

from tests.sync.conftest import new_id


def test_a_flagged_visit_reads_in_chinese_on_the_list_and_its_page(client, world, token_for, login, db):
    household = world.h1
    item = {"instance_id": new_id(), "form_id": "visit", "household_id": household.id,
            "captured_at": (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat(),
            "location": {"lat": household.lat, "lon": household.lon, "accuracy": 6.0},  # copied from households.csv
            "answers": {"visit_type": "routine", "people_met": "head"}}
    result = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=token_for(world.cadre)).json
    stored = result["results"][0]
    assert stored["status"] == "accepted" and stored["geo"]["status"] == "suspect"
    login(world.manager)
    listed = client.get("/submissions").get_data(as_text=True)
    page = client.get(f"/submissions/{stored['submission_id']}").get_data(as_text=True)
    for html in (listed, page):
        assert "疑似复制坐标" in html
        assert "copied coordinates" not in html
