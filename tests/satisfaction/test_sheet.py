"""The printable QR sheet: one QR code per household, tokens that work, re-printing replaces them."""
import re

import pytest

from server.coverage.periods import current_quarter


@pytest.fixture
def period():
    return current_quarter().label


def _sheet(client, headers, area, period):
    return client.post("/satisfaction/sheet", data={"area": area.id, "period": period}, headers=headers)


def test_manager_prints_a_sheet_with_one_qr_code_per_household(client, world, login, period):
    headers = login(world.v1_manager)
    confirm = client.get(f"/satisfaction/sheet?area={world.v1.id}&period={period}")
    assert confirm.status_code == 200 and "2 户在册" in confirm.get_data(as_text=True)
    sheet = _sheet(client, headers, world.v1, period)
    assert sheet.status_code == 200
    html = sheet.get_data(as_text=True)
    assert html.count("<svg") == 2 and "@page { size: A4" in html
    assert "SZ01-001" in html and "户主：户主" in html and "请用手机扫描二维码" in html
    paths = re.findall(r'data-url="[^"]*(/s/[A-Za-z0-9_-]+)"', html)
    assert len(paths) == 2 and client.get(paths[0]).status_code == 200


def test_printing_again_replaces_the_unused_codes(client, world, login, period):
    headers = login(world.v1_manager)
    old = re.findall(r'data-url="[^"]*(/s/[A-Za-z0-9_-]+)"', _sheet(client, headers, world.v1, period).get_data(as_text=True))
    new = re.findall(r'data-url="[^"]*(/s/[A-Za-z0-9_-]+)"', _sheet(client, headers, world.v1, period).get_data(as_text=True))
    assert client.get(old[0]).status_code == 410 and client.get(new[0]).status_code == 200


def test_sheet_needs_a_manager_session_and_scope(client, world, login, period):
    assert client.get(f"/satisfaction/sheet?area={world.v1.id}&period={period}").status_code == 302
    headers = login(world.v2_manager)
    assert _sheet(client, headers, world.v1, period).status_code == 400
    assert client.post("/satisfaction/sheet", data={"area": world.v2.id, "period": period}).status_code == 400


def test_cadre_cannot_print_sheets(client, world, login, period):
    login(world.cadre)
    assert client.get(f"/satisfaction/sheet?area={world.v1.id}&period={period}").status_code == 403


def test_manager_satisfaction_page_ranks_cadres(village, client, login):
    login(village.manager)
    page = client.get(f"/satisfaction?period={village.period}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.index("干部乙") < html.index("干部甲")  # both 50% satisfied: more responses ranks first
    assert "自评 1 份不计入" in html and "打印测评二维码" in html
    assert client.get(f"/satisfaction?period={village.period}&by=area").status_code == 200


def test_cadre_cannot_open_the_satisfaction_page(client, world, login):
    login(world.cadre)
    assert client.get("/satisfaction").status_code == 403
