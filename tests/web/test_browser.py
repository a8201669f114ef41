"""The manager UI in Debian's chromium: sign in, dashboard = API, map markers and popups, language, XLSX."""
import io
import re
from urllib.parse import urlparse

import pytest
from openpyxl import load_workbook

from tests.web.browsing import LAPTOP, PHONE, open_page, sign_in

pytestmark = pytest.mark.browser

@pytest.fixture
def scene(world, make_area, make_household, make_visit):
    """The township of `world` with enough households to cluster, visits of every kind of status."""
    for n in range(12):
        h = make_household(world.v1, world.cadre, code=f"SZ01-1{n:02d}", lat=29.2900 + n * 0.0004, lon=121.4300 + n * 0.0003)
        if n % 3 == 0:
            make_visit(h, world.cadre)
    for n in range(8):
        make_household(world.v2, world.cadre2, code=f"SZ02-1{n:02d}", lat=29.3000 + n * 0.0004, lon=121.4400 - n * 0.0003,
                       category="low_income")
    make_visit(world.h1, world.cadre)
    make_visit(world.h3, world.cadre2, geo_status="far", distance=820.0, lat=world.h3.lat + 0.0072, lon=world.h3.lon + 0.001)
    make_visit(world.h4, world.cadre2, days_ago=200)  # counted long ago: overdue for its category
    return world


def test_dashboard_numbers_equal_the_api(browser, live_server, scene, artifacts):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager")
    headline = {el.get_attribute("data-key"): el.inner_text() for el in page.query_selector_all("#headline .value")}
    api = page.request.get(f"{live_server.url}/api/v1/coverage").json()
    total = api["total"]
    assert int(headline["households"]) == total["households"] == 24
    assert int(headline["visited"]) == total["visited"]
    assert int(headline["unvisited"]) == total["households"] - total["visited"]
    assert int(headline["overdue"]) == total["overdue"]
    assert int(headline["flagged"]) == total["flagged"] == 1
    assert headline["coverage"] == f"{total['coverage']:.1f}%"
    for row in api["rows"]:
        cells = page.locator(f"#by-area tr[data-area='{row['area']['id']}'] td").all_inner_texts()
        assert cells[0].startswith(row["area"]["name"])
        assert [int(cells[1]), int(cells[2]), int(cells[4]), int(cells[5])] == \
            [row["households"], row["visited"], row["overdue"], row["flagged"]]
    cadres = page.request.get(f"{live_server.url}/api/v1/coverage?by=cadre").json()["rows"]
    for row in cadres:
        cells = page.locator(f"#by-cadre tr[data-cadre='{row['cadre']['id']}'] td").all_inner_texts()
        assert [int(cells[1]), int(cells[2])] == [row["households"], row["visited"]]
    page.screenshot(path=str(artifacts / "dashboard-laptop.png"), full_page=True)
    assert "湖头村" not in page.content()
    assert not page.outside  # nothing from a CDN or any other origin
    page.context.close()


def test_dashboard_drills_down_to_households(browser, live_server, scene):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager")
    page.click(f"#by-area tr[data-area='{scene.v1.id}'] td:first-child a")
    page.wait_for_url(f"**area={scene.v1.id}*")
    assert "清潭村" in page.inner_text("h1")
    page.click("#headline .stat.unvisited a")
    page.wait_for_url("**/unvisited*")
    codes = page.locator("#households tbody td:first-child").all_inner_texts()
    assert codes and all(code.startswith("SZ01-") for code in codes)
    assert "SZ01-001" not in codes  # visited this quarter
    page.context.close()


def test_phone_sized_dashboard_is_readable(browser, live_server, scene, artifacts):
    page = open_page(browser, live_server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    sign_in(page, live_server, "manager")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # no sideways page scroll
    assert page.locator("#headline .stat").first.bounding_box()["width"] > 120
    page.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=True)
    page.context.close()


def wait_for_markers(page):
    page.wait_for_selector("#coverage-map[data-loaded]")
    assert page.get_attribute("#coverage-map", "data-loaded") != "error"
    page.wait_for_selector(".hh-marker, .hh-cluster")


def uncovered_marker(page):
    """A household marker a user can click: in view and not under the legend or another control."""
    index = page.evaluate("""() => [...document.querySelectorAll('.hh-marker')].findIndex(marker => {
        const box = marker.getBoundingClientRect();
        const top = document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2);
        return top !== null && marker.contains(top);
    })""")
    assert index >= 0, "every household marker is covered or out of view"
    return page.locator(".hh-marker").nth(index)


def test_map_shows_households_and_a_click_opens_a_popup(browser, live_server, scene, artifacts):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager", next_path="/map")
    wait_for_markers(page)
    assert int(page.get_attribute("#coverage-map", "data-loaded")) == 24
    assert page.locator(".hh-cluster").count() + page.locator(".hh-marker").count() > 0
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "map-laptop.png"))
    for _ in range(8):  # zoom into a cluster until single households show
        if page.locator(".hh-marker").count():
            break
        page.locator(".hh-cluster").first.click()
        page.wait_for_timeout(500)
    uncovered_marker(page).click()
    popup = page.wait_for_selector(".leaflet-popup-content")
    text = popup.inner_text()
    assert re.search(r"SZ0[12]-\d{3}", text) and "联户干部" in text
    assert popup.query_selector("a[href^='/households/']")
    assert all(urlparse(u).netloc == "tile.openstreetmap.org" for u in page.outside)  # only tiles, and refused
    page.context.close()


def test_map_on_a_phone(browser, live_server, scene, artifacts):
    page = open_page(browser, live_server, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    sign_in(page, live_server, "manager", next_path="/map")
    wait_for_markers(page)
    box = page.locator("#coverage-map").bounding_box()
    assert box["width"] >= PHONE["width"] - 30 and box["height"] >= 300
    page.wait_for_timeout(400)
    page.screenshot(path=str(artifacts / "map-phone.png"))
    page.context.close()


def test_language_switch(browser, live_server, scene):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "走访覆盖" in page.inner_text("h1")
    page.click("#lang-en")
    page.wait_for_url("**lang=en*")
    assert page.get_attribute("html", "lang") == "en"
    assert "Visit coverage" in page.inner_text("h1")
    page.click("nav.mainnav a[href='/unvisited']")  # the choice is remembered
    assert "Households not visited" in page.inner_text("h1")
    page.click("#lang-zh")
    assert "未走访农户" in page.inner_text("h1")
    page.context.close()


def test_unvisited_list_downloads_as_xlsx(browser, live_server, scene, artifacts):
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager", next_path="/unvisited")
    listed = set(page.locator("#households tbody td:first-child").all_inner_texts())
    with page.expect_download() as info:
        page.click("#download-xlsx")
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = artifacts / "unvisited.xlsx"
    download.save_as(str(path))
    sheet = load_workbook(io.BytesIO(path.read_bytes()), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    code_column = next(i for i, h in enumerate(header) if "code" in h.lower() or "编号" in h)
    codes = {row[code_column] for row in rows[1:]}
    assert codes == listed and "SZ01-001" not in codes and "CL01-001" not in codes
    page.context.close()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_loads_without_script_errors_or_sideways_scroll(browser, live_server, scene, artifacts, viewport):
    page = open_page(browser, live_server, viewport=viewport)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "ERR_FAILED" not in msg.text
            and "Failed to load resource" not in msg.text else None)
    sign_in(page, live_server, "manager")
    name = "laptop" if viewport is LAPTOP else "phone"
    for path in ("/map", "/unvisited", "/overdue", "/submissions", "/households", f"/households/{scene.h3.id}",
                 "/households/import", "/forms", "/users", f"/users/{scene.cadre.id}"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1, path
    page.goto(f"{live_server.url}/households/{scene.h3.id}")
    page.wait_for_selector("#household-map .hh-marker")  # the far visit on the small map
    page.screenshot(path=str(artifacts / f"household-{name}.png"), full_page=True)
    assert not errors
    page.context.close()


def test_gcj02_tile_sets_get_offset_positions(browser, live_server, scene, app, monkeypatch):
    monkeypatch.setitem(app.config, "TILE_CRS", "gcj02")
    monkeypatch.setitem(app.config, "TILE_URL", "https://webrd01.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}&style=8")
    page = open_page(browser, live_server)
    sign_in(page, live_server, "manager", next_path="/map")
    wait_for_markers(page)  # markers show although the tiles are refused
    assert '"crs": "gcj02"' in page.get_attribute("#coverage-map", "data-tiles")
    lat, lon = page.evaluate("Lianhu.wgsToGcj(39.908722, 116.397499)")  # Tiananmen: ~+0.0014, ~+0.0062 degrees
    assert 0.0010 < lat - 39.908722 < 0.0020 and 0.0055 < lon - 116.397499 < 0.0070
    assert page.evaluate("Lianhu.wgsToGcj(48.8566, 2.3522)") == [48.8566, 2.3522]  # outside China: unchanged
    assert page.outside and all("autonavi.com" in url for url in page.outside)
    page.context.close()
