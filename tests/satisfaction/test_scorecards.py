"""Scorecards: per cadre, equal to the coverage and satisfaction APIs for the same period; XLSX export."""
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from server.cases.services import open_case
from server.models_base import utcnow


@pytest.fixture
def worked(village, db, make_submission, ingest_hook):
    """Village plus visits (A: 3 counted on 3 households + 1 far; B: 2 counted) and A's cases."""
    h = village.households
    for household, status in ((h[0], "verified"), (h[1], "verified"), (h[2], "anchored"), (h[3], "far")):
        ingest_hook(make_submission(household, village.a, answers={}, geo_status=status))
    for household in (h[6], h[7]):
        ingest_hook(make_submission(household, village.b, answers={}, geo_status="verified"))
    now = utcnow()
    on_time = open_case(None, h[0], text="修路灯", due_at=now + timedelta(days=3))
    on_time.status, on_time.resolved_at = "confirmed", now
    wish = open_case(None, h[1], text="书包", is_micro_wish=True, due_at=now + timedelta(days=3))
    wish.status, wish.resolved_at = "resolved", now
    open_case(None, h[2], text="过期", due_at=now - timedelta(days=1))
    db.session.commit()
    return village


def _get(client, headers, url):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def test_scorecard_figures_equal_coverage_and_satisfaction_apis(worked, client, token_for):
    v, headers = worked, token_for(worked.manager)
    query = f"period={v.period}&area={v.area.id}"
    cards = {c["cadre"]["id"]: c for c in _get(client, headers, f"/api/v1/scorecards?{query}").json["rows"]}
    coverage = {r["cadre"]["id"]: r for r in _get(client, headers, f"/api/v1/coverage?{query}&by=cadre").json["rows"]}
    satisfaction = {r["cadre_id"]: r for r in
                    _get(client, headers, f"/api/v1/satisfaction?{query}&by=cadre").json["rows"]}
    assert set(cards) == {v.a.id, v.b.id} == set(coverage)
    for cadre_id, card in cards.items():
        cov, sat = coverage[cadre_id], satisfaction[cadre_id]
        assert (card["households"], card["visited_households"], card["coverage"], card["flagged_visits"]) == (
            cov["households"], cov["visited"], cov["coverage"], cov["flagged"])
        for key in ("responses", "share_satisfied", "mean_attitude", "mean_help", "mean_frequency"):
            assert card["satisfaction"][key] == sat[key]
    a, b = cards[v.a.id], cards[v.b.id]
    assert (a["visits"], a["counted_visits"], a["visited_households"], a["verified_share"]) == (4, 3, 3, 75.0)
    assert (a["coverage"], a["flagged_visits"]) == (50.0, 1)
    assert (b["visits"], b["counted_visits"], b["coverage"]) == (2, 2, 33.3)
    assert (a["cases_raised"], a["cases_resolved_on_time"], a["cases_overdue"], a["micro_wishes_fulfilled"]) == (
        3, 2, 1, 1)
    assert a["satisfaction"]["responses"] == 4 and b["satisfaction"]["responses"] == 6


def test_composite_score_uses_the_admins_weights(worked, client, token_for, world):
    v = worked
    url = f"/api/v1/scorecards?period={v.period}&area={v.area.id}"
    weights = client.put("/api/v1/scorecards/weights", headers=token_for(world.admin),
                         json={"coverage": 1, "verified": 0, "satisfaction": 0, "cases": 0})
    assert weights.status_code == 200 and weights.json["coverage"] == 1
    cards = {c["cadre"]["id"]: c for c in _get(client, token_for(v.manager), url).json["rows"]}
    assert cards[v.a.id]["score"] == 50.0 and cards[v.b.id]["score"] == 33.3
    client.put("/api/v1/scorecards/weights", headers=token_for(world.admin),
               json={"coverage": 0, "satisfaction": 1})
    cards = {c["cadre"]["id"]: c for c in _get(client, token_for(v.manager), url).json["rows"]}
    # A: 4 answers, fewer than 5: satisfaction stays out of the score, as on the satisfaction page
    assert cards[v.a.id]["satisfaction"]["responses"] == 4
    assert cards[v.a.id]["components"]["satisfaction"] is None and cards[v.a.id]["score"] is None
    # B: 6 answers, 3 satisfied, 2 basic, 1 unsatisfied -> (300 + 120) / 6
    assert cards[v.b.id]["components"]["satisfaction"] == 70.0 and cards[v.b.id]["score"] == 70.0


def test_one_answer_does_not_move_a_cadre_with_few_answers(worked, client, token_for, world):
    """Satisfaction enters the composite only at n >= 5: with 4 answers A's score is coverage and cases alone."""
    v = worked
    url = f"/api/v1/scorecards?period={v.period}&area={v.area.id}"
    before = {c["cadre"]["id"]: c["score"] for c in _get(client, token_for(v.manager), url).json["rows"]}
    assert client.post(f"/s/{v.tokens['MY-005']}", data={"overall": "unsatisfied", "attitude": "1", "help": "1",
                                                         "frequency": "1"}).status_code == 201
    cards = {c["cadre"]["id"]: c for c in _get(client, token_for(v.manager), url).json["rows"]}
    assert cards[v.a.id]["satisfaction"]["responses"] == 5 and cards[v.a.id]["components"]["satisfaction"] == 52.0
    assert before[v.a.id] != cards[v.a.id]["score"]  # the fifth answer brings satisfaction in


def test_only_admins_set_weights(client, world, token_for):
    assert client.put("/api/v1/scorecards/weights", headers=token_for(world.manager),
                      json={"coverage": 1}).status_code == 403
    assert client.put("/api/v1/scorecards/weights", headers=token_for(world.admin),
                      json={"speed": 1}).status_code == 422


def test_xlsx_has_one_row_per_cadre(worked, client, token_for):
    v = worked
    response = _get(client, token_for(v.manager), f"/api/v1/scorecards.xlsx?period={v.period}&area={v.area.id}")
    assert response.content_type.startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.get_data()))
    rows = list(book["干部考核"].iter_rows(values_only=True))
    assert rows[0][0] == "干部" and len(rows) == 3
    by_name = {r[0]: r for r in rows[1:]}
    assert by_name["干部甲"][2:7] == (6, 4, 3, 3, 50.0)
    area_rows = list(book["区域汇总"].iter_rows(values_only=True))
    assert area_rows[1][1] == "NH-SZ-09" and area_rows[1][2] == 2


def test_cadre_sees_only_their_own_card_with_satisfaction_masked_below_five(worked, client, token_for):
    v = worked
    a = _get(client, token_for(v.a), f"/api/v1/scorecards?period={v.period}").json
    assert [c["cadre"]["id"] for c in a["rows"]] == [v.a.id] and a["areas"] == []
    assert a["rows"][0]["satisfaction"]["responses"] is None
    assert a["rows"][0]["satisfaction"]["enough_responses"] is False
    b = _get(client, token_for(v.b), f"/api/v1/scorecards?period={v.period}").json
    assert b["rows"][0]["satisfaction"]["responses"] == 6


def test_surveyor_gets_no_scorecards(client, world, token_for):
    assert client.get("/api/v1/scorecards", headers=token_for(world.surveyor)).status_code == 403
