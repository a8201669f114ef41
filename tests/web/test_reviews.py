"""The review queue: flagged visits with their reasons in Chinese, bulk approve / reject in chromium,
anchors to confirm, anomaly counts on the scorecard. Visits come in over JSON push (real ingest)."""
from datetime import datetime, timedelta, timezone

import pytest

from server.households.models import Household
from server.submissions.models import Submission
from tests.sync.conftest import new_id, offset
from tests.web.browsing import open_page, sign_in


def _push(client, headers, household, *, minutes_ago, at=None, duration_s=300):
    captured = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
    lat, lon = at or offset(household.lat, household.lon, north_m=9)
    item = {"instance_id": new_id(), "form_id": "visit", "household_id": household.id,
            "captured_at": captured.isoformat(), "location": {"lat": lat, "lon": lon, "accuracy": 7.5, "altitude": 30},
            "answers": {"visit_type": "routine", "start": (captured - timedelta(seconds=duration_s)).isoformat(),
                        "end": captured.isoformat()}}
    result = client.post("/api/v1/sync/push", json={"submissions": [item]}, headers=headers).json["results"][0]
    assert result["status"] == "accepted", result
    return result["submission_id"]


@pytest.fixture
def flagged(client, world, token_for, make_household):
    """One copied-reference visit, one too-short visit, one honest visit, one first-visit anchor."""
    headers = token_for(world.cadre)
    copied = _push(client, headers, world.h1, minutes_ago=300, at=(world.h1.lat, world.h1.lon))
    short = _push(client, headers, world.h2, minutes_ago=200, duration_s=40)
    honest = _push(client, headers, world.h1, minutes_ago=100)
    new = make_household(world.v1, world.cadre, code="SZ01-NEW", lat=None, lon=None)
    _push(client, headers, new, minutes_ago=30, at=offset(world.h2.lat, world.h2.lon, north_m=80))
    return {"copied": copied, "short": short, "honest": honest, "new": new.id}


def test_queue_page_lists_reasons_in_chinese_and_english(client, world, login, flagged):
    login(world.manager)
    page = client.get("/reviews").get_data(as_text=True)
    assert "定位与农户登记位置完全相同" in page and "走访表单从打开到完成仅用 40 秒" in page
    assert "待审核" in page and "通过所选" in page and "首次走访定位的农户位置" in page
    assert f'value="{flagged["honest"]}"' not in page  # an honest visit is not in the queue
    english = client.get("/reviews?lang=en").get_data(as_text=True)
    assert "reference location (copied coordinates)" in english and "Approve selected" in english
    detail = client.get(f"/submissions/{flagged['copied']}?lang=zh").get_data(as_text=True)
    assert "疑似复制坐标" in detail


def test_scorecard_counts_anomalies_per_cadre(client, world, login, flagged):
    login(world.manager)
    period = datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m")
    body = client.get(f"/api/v1/scorecards?period={period}").json
    card = next(r for r in body["rows"] if r["cadre"]["id"] == world.cadre.id)
    assert card["anomalies"]["flagged"] >= 1
    assert set(card["anomalies"]["by_reason"]) <= {"reference_copy", "short_visit"}


@pytest.mark.browser
def test_bulk_approve_and_reject_in_the_browser(browser, live_server, world, flagged, db):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager", next_path="/reviews")
    assert page.locator("td.reasons", has_text="疑似复制坐标").count() == 1
    page.check(f"input[name=ids][value='{flagged['copied']}']")
    page.click("#reject-selected")
    page.wait_for_url(f"{live_server.url}/reviews")
    page.check(f"input[name=ids][value='{flagged['short']}']")
    page.click("#approve-selected")
    page.wait_for_url(f"{live_server.url}/reviews")
    assert "已通过 1 条记录" in page.content()
    page.check(f"input[name=households][value='{flagged['new']}']")
    page.click("#confirm-anchors")
    page.wait_for_url(f"{live_server.url}/reviews")
    db.session.expire_all()
    copied, short = db.session.get(Submission, flagged["copied"]), db.session.get(Submission, flagged["short"])
    assert (copied.review_state, copied.geo_status) == ("rejected", "suspect")
    assert (short.review_state, short.geo_status) == ("approved", "verified")
    assert db.session.get(Household, world.h2.id).last_counted_visit_at == short.captured_at
    assert db.session.get(Household, flagged["new"]).anchor_confirmed_at is not None
    assert page.locator("td.reasons").count() == 0
