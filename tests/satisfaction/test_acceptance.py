"""The issue's acceptance scenario: a village with 12 households, 2 cadres, 9 resident answers,
1 self-rated answer, 1 surveyor answer and a reused link give exact aggregates."""
import re

import pytest

from server.cases.models import Case
from server.submissions.models import Submission

MARKER = "私密意见-PRIVATE-7731"  # the comment every seeded answer carries (see conftest)


def test_reused_link_is_refused_with_410(village, db):
    assert village.reused.status_code == 410
    assert "already answered" in village.reused.get_data(as_text=True)
    resident = db.session.scalar(db.select(db.func.count(Submission.id)).filter_by(source="resident"))
    assert resident == 9


def test_self_rated_answer_is_flagged(village, db):
    db.session.refresh(village.self_rated)
    assert village.self_rated.is_self_rated is True and village.self_rated.rated_cadre_id == village.a.id


def test_manager_sees_exact_aggregates_by_cadre(village, client, token_for):
    response = client.get(f"/api/v1/satisfaction?period={village.period}&area={village.area.id}&by=cadre",
                          headers=token_for(village.manager))
    assert response.status_code == 200, response.json
    body = response.json
    total = body["total"]
    assert (total["responses"], total["linked_households"], total["response_rate"]) == (10, 12, 0.8333)
    assert (total["satisfied"], total["basic"], total["unsatisfied"]) == (5, 3, 2)
    assert (total["share_satisfied"], total["share_basic"], total["share_unsatisfied"]) == (0.5, 0.3, 0.2)
    assert (total["mean_attitude"], total["mean_help"], total["mean_frequency"]) == (3.6, 3.6, 4.0)
    assert body["excluded"] == {"self_rated": 1}
    rows = {row["cadre_id"]: row for row in body["rows"]}
    a, b = rows[village.a.id], rows[village.b.id]
    assert (a["responses"], a["linked_households"], a["response_rate"]) == (4, 6, 0.6667)
    assert (a["share_satisfied"], a["share_basic"], a["share_unsatisfied"]) == (0.5, 0.25, 0.25)
    assert (a["mean_attitude"], a["mean_help"], a["mean_frequency"]) == (3.25, 3.75, 3.5)
    assert (b["responses"], b["linked_households"], b["response_rate"]) == (6, 6, 1.0)
    assert (b["satisfied"], b["basic"], b["unsatisfied"]) == (3, 2, 1)
    assert (b["mean_attitude"], b["mean_help"], b["mean_frequency"]) == (3.83, 3.5, 4.33)
    assert a["cadre_name"] == "干部甲"


def test_manager_sees_aggregates_by_area_rolled_up(village, client, token_for, world):
    response = client.get(f"/api/v1/satisfaction?period={village.period}&area={world.town.id}&by=area",
                          headers=token_for(world.manager))
    assert response.status_code == 200, response.json
    body = response.json
    rows = {row["area_code"]: row for row in body["rows"]}
    assert set(rows) == {"NH-SZ-01", "NH-SZ-02", "NH-SZ-09"}
    assert (rows["NH-SZ-09"]["responses"], rows["NH-SZ-09"]["linked_households"]) == (10, 12)
    assert rows["NH-SZ-01"]["responses"] == 0 and rows["NH-SZ-01"]["response_rate"] == 0.0
    assert body["total"]["responses"] == 10 and body["total"]["linked_households"] == 16
    assert body["trend"][-1]["period"] == village.period and body["trend"][-1]["responses"] == 10
    assert len(body["trend"]) == 4 and all(t["responses"] == 0 for t in body["trend"][:3])


def test_cadre_with_four_answers_sees_no_score(village, client, token_for):
    body = client.get(f"/api/v1/satisfaction?period={village.period}", headers=token_for(village.a)).json
    total = body["total"]
    assert total["enough_responses"] is False and "Not enough responses" in total["message"]
    assert total["responses"] is None and total["share_satisfied"] is None and total["mean_attitude"] is None
    assert total["response_rate"] is None
    assert body["excluded"] is None and [r["cadre_id"] for r in body["rows"]] == [village.a.id]
    assert all(t["responses"] is None for t in body["trend"])


def test_cadre_with_six_answers_sees_their_own_score_only(village, client, token_for):
    body = client.get(f"/api/v1/satisfaction?period={village.period}&area={village.area.id}&by=cadre",
                      headers=token_for(village.b)).json
    total = body["total"]
    assert total["enough_responses"] is True
    assert (total["responses"], total["share_satisfied"], total["mean_frequency"]) == (6, 0.5, 4.33)
    assert [r["cadre_id"] for r in body["rows"]] == [village.b.id]
    assert str(village.a.id) not in {str(r.get("cadre_id")) for r in body["rows"]}


def test_unsatisfied_answers_open_follow_up_cases_for_the_area_manager(village, db):
    cases = db.session.scalars(db.select(Case).filter_by(category="satisfaction")).all()
    assert len(cases) == 2
    assert {c.assignee_id for c in cases} == {village.manager.id}
    assert all(MARKER in c.text and c.source_key.startswith("sat:") for c in cases)


def test_manager_lists_individual_answers_in_scope(village, client, token_for, world):
    headers = token_for(village.manager)
    answers = client.get(f"/api/v1/satisfaction/answers?period={village.period}&page_size=50", headers=headers).json
    assert len(answers) == 11
    assert sum(a["is_self_rated"] for a in answers) == 1
    assert {a["source"] for a in answers} == {"resident", "json"}
    counted = client.get("/api/v1/satisfaction/answers?include_self_rated=false&page_size=50", headers=headers).json
    assert len(counted) == 10
    assert client.get("/api/v1/satisfaction/answers", headers=token_for(world.other_manager)).json == []
    by_cadre = client.get(f"/api/v1/satisfaction/answers?cadre={village.a.id}", headers=headers).json
    assert len(by_cadre) == 5


@pytest.mark.parametrize("who", ["a", "b", "surveyor"])
def test_cadres_and_surveyors_never_get_individual_answers(village, client, token_for, world, who):
    user = getattr(village, who, None) or getattr(world, who)
    response = client.get("/api/v1/satisfaction/answers", headers=token_for(user))
    assert response.status_code == 403


def test_surveyor_gets_no_aggregates(village, client, token_for, world):
    assert client.get("/api/v1/satisfaction", headers=token_for(world.surveyor)).status_code == 403


def _text_of(response) -> str:
    """A response's text; spreadsheets are opened and their cells joined."""
    if "spreadsheetml" in response.content_type:
        import io

        from openpyxl import load_workbook
        book = load_workbook(io.BytesIO(response.get_data()))
        return " ".join(str(v) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for v in row)
    return response.get_data().decode("utf-8", errors="replace")


def _get_urls(app, submission_ids, instance_ids):
    """Every GET URL of the JSON API and exports, with ids of the satisfaction answers filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not (rule.rule.startswith("/api/") or "export" in rule.rule):
            continue
        if rule.rule.startswith("/api/v1/satisfaction/answers"):
            continue  # checked above: 403
        params = list(rule.arguments)
        if not params:
            urls.append(rule.rule)
        elif params in (["submission_id"], ["id"]):
            urls += [re.sub(r"<[^>]+>", str(i), rule.rule) for i in submission_ids]
        elif params == ["instance_id"]:
            urls += [re.sub(r"<[^>]+>", i, rule.rule) for i in instance_ids]
    return urls


@pytest.mark.parametrize("who", ["a", "b"])
def test_no_endpoint_gives_a_cadre_the_answers_about_them(village, app, client, token_for, db, who):
    rows = db.session.execute(db.select(Submission.id, Submission.instance_id)
                              .where(Submission.kind == "satisfaction", Submission.is_self_rated.is_(False))).all()
    headers = token_for(getattr(village, who))
    checked = 0
    for url in _get_urls(app, [r.id for r in rows], [r.instance_id for r in rows]):
        for query in ("", "?form_id=satisfaction&page_size=1000", "?kind=satisfaction&page_size=1000"):
            response = client.get(url + query, headers=headers)
            assert response.status_code < 500, url
            text = _text_of(response)
            assert MARKER not in text, f"{url}{query} leaks satisfaction answers to a cadre"
            assert not any(r.instance_id in text for r in rows), f"{url}{query} names satisfaction answers"
            checked += 1
    assert checked > 20


def test_admin_without_area_gets_rows_per_top_area(village, client, token_for, world):
    body = client.get(f"/api/v1/satisfaction?period={village.period}", headers=token_for(world.admin)).json
    assert [row["area_code"] for row in body["rows"]] == ["NH"]
    assert body["rows"][0]["responses"] == 10 and body["total"]["responses"] == 10


@pytest.mark.parametrize("url", ["/api/v1/satisfaction?period=2026-Q5", "/api/v1/satisfaction?by=street",
                                 "/api/v1/satisfaction/answers?period=nope", "/api/v1/scorecards?period=20261",
                                 "/api/v1/satisfaction?area=999999"])
def test_bad_queries_get_clear_errors(client, world, token_for, url):
    response = client.get(url, headers=token_for(world.admin))
    assert response.status_code in (404, 422) and response.json["message"]
