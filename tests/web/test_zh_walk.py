"""In chromium, in Chinese: every manager page shows no English outside an allow-list; the visits filter used
as a manager uses it returns exactly the visits asked for; every dashboard and scorecard count opens its rows."""
import re
from datetime import timedelta

import pytest

from server.cases.services import open_case
from server.models_base import utcnow
from tests.web.browsing import open_page, sign_in

pytestmark = pytest.mark.browser

#: words a Chinese page may show: product and format names, usernames of the test world, map attribution
ALLOWED = {"Lianhu", "English", "Excel", "Leaflet", "OpenStreetMap", "GeoJSON", "XForm", "XLSForm", "Collect",
           "admin", "manager", "surveyor", "km", "contributors",
           "settings", "uuid"}  # the XLSForm sheet named settings; instance ids are uuid:...
#: visible text of the page: text nodes whose element is rendered, placeholders, outside <code>
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!el || el.closest('code, script, style, noscript, svg, details:not([open]) > :not(summary)')) continue;
    if (el.tagName !== 'OPTION' && !el.checkVisibility({visibilityProperty: true})) continue;
    out.push(node.nodeValue);
  }
  document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach(e => out.push(e.placeholder));
  document.querySelectorAll('input[type=submit], input[type=button]').forEach(e => out.push(e.value));
  out.push(document.title);
  return out.join('\\n');
}"""


def english_words(page) -> set[str]:
    text = page.evaluate(VISIBLE_TEXT)
    return {w for w in re.findall(r"(?<![A-Za-z0-9_.:/-])[A-Za-z][a-z]+(?![A-Za-z0-9_])", text)} - ALLOWED


@pytest.fixture
def township(world, make_household, make_visit, db):
    """Visits of every location status and review state, a request, a satisfaction answer."""
    w = world
    for person, name in ((w.manager, "镇管理员"), (w.cadre, "王联户"), (w.cadre2, "李联户"), (w.admin, "县管理员"),
                         (w.surveyor, "调查员"), (w.v1_manager, "清潭村管理员"), (w.v2_manager, "南岭村管理员")):
        person.display_name = name  # the test world's names are English words; a township's are not
    w.far = make_visit(w.h1, w.cadre, geo_status="far", distance=1750.0, days_ago=2)
    w.far.geo_reason = "1750 m from the household (accuracy 8 m)"
    w.suspect = make_visit(w.h2, w.cadre, geo_status="suspect", days_ago=3)
    w.suspect.geo_reason = "the device reported a mock location"
    w.low = make_visit(w.h3, w.cadre2, geo_status="low_accuracy", days_ago=4)
    w.low.geo_reason = "accuracy 120 m is worse than 50 m"
    w.ok = make_visit(w.h4, w.cadre2, days_ago=5, review_state="approved")
    w.ok.answers = {"household": w.h4.code, "visit_type": "followup", "people_met": "head spouse",
                    "demands": [{"category": "housing", "text": "修屋顶", "is_micro_wish": "no"}]}
    w.anchored = make_visit(w.h1, w.cadre, geo_status="anchored", days_ago=6, review_state="has_issues")
    w.case = open_case(None, w.h4, text="修屋顶", category="housing", due_at=utcnow() + timedelta(days=20))
    db.session.commit()
    return w


def test_every_manager_page_in_chinese_shows_no_english(browser, live_server, township, artifacts):
    w = township
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager")
    paths = ["/dashboard", "/map", "/unvisited", "/overdue", "/coverage/households?status=visited", "/submissions",
             f"/submissions/{w.far.id}", f"/submissions/{w.ok.id}", "/households", f"/households/{w.h4.id}",
             "/households/new", "/households/import", "/forms", "/users", f"/users/{w.cadre.id}", "/exports",
             "/audit", "/cases", f"/cases/{w.case.id}", "/satisfaction", "/satisfaction/sheet",
             f"/satisfaction/sheet?area={w.v1.id}", "/scorecards"]
    found = {}
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        words = english_words(page)
        if words:
            found[path] = sorted(words)
    page.screenshot(path=str(artifacts / "zh-walk-last.png"), full_page=True)
    assert not found, f"English words on Chinese pages: {found}"
    page.context.close()


@pytest.mark.parametrize("field,value,label", [
    ("geo_status", "far", "距离过远"), ("geo_status", "suspect", "可疑"), ("geo_status", "low_accuracy", None),
    ("geo_status", "verified", None), ("geo_status", "anchored", None), ("review_state", "approved", None),
    ("review_state", "has_issues", None), ("review_state", "received", None)])
def test_the_visits_filter_from_the_page(browser, live_server, township, field, value, label):
    """Choose one drop-down and press 筛选, as a manager does: exactly those visits come back."""
    w = township
    visits = [w.far, w.suspect, w.low, w.ok, w.anchored]
    expected = {v.id for v in visits if getattr(v, field) == value}
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager", next_path="/submissions")
    page.select_option(f"select[name={field}]", value)
    if label:
        assert page.locator(f"select[name={field}] option:checked").inner_text() == label
    page.click("#submission-filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "部分筛选条件无效" not in page.content() and "未采用" not in page.inner_text("main")
    shown = {int(h.split("/")[-1]) for h in page.eval_on_selector_all(
        "#submissions tbody a[href^='/submissions/']", "els => els.map(e => e.getAttribute('href'))")}
    assert shown == expected
    assert int(page.inner_text("h1 .count")) == len(expected)
    page.context.close()


def _count_of(page) -> int:
    return int(page.inner_text("h1 .count"))


def test_each_dashboard_and_scorecard_count_opens_exactly_its_rows(browser, live_server, township):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager")
    links = page.eval_on_selector_all(
        "#headline a, #by-area td.num a, #by-cadre td.num a, #by-area tfoot a",
        "els => els.map(e => [e.getAttribute('href'), (e.querySelector('.value') || e).innerText.trim()])")
    assert len(links) >= 15
    for href, text in links:
        page.goto(f"{live_server.url}{href}")
        assert _count_of(page) == int(text), (href, text)
    page.goto(f"{live_server.url}/scorecards")
    links = page.eval_on_selector_all("#scorecards td.num a[data-rows]", "els => els.map(e => [e.getAttribute('href'), e.innerText.trim()])")
    assert links, "the scorecard's counts link to their rows"
    for href, text in links:
        page.goto(f"{live_server.url}{href}")
        assert _count_of(page) == int(text), (href, text)
    page.context.close()
