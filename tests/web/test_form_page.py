"""A manager uploads an XLSForm as a draft with its media, sees the test QR code, publishes, limits who gets it."""
import sys
from pathlib import Path

import pytest

from tests.web.browsing import open_page, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "forms"))
import corpus  # noqa: E402

pytestmark = [pytest.mark.browser]


def test_draft_with_media_then_publish_and_audience(browser, live_server, world, client, artifacts, tmp_path, db):
    form = corpus.market()
    xlsx = tmp_path / form.filename
    xlsx.write_bytes(form.data)
    for name, content in form.media.items():
        (tmp_path / name).write_bytes(content)
    page = open_page(browser, live_server, locale="zh-CN")
    sign_in(page, live_server, "admin", next_path="/forms")
    page.set_input_files("input[name=file]", str(xlsx))
    page.set_input_files("input[name=media]", [str(tmp_path / n) for n in list(form.media)[:2]])  # two of four
    page.check("input[name=draft]")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_url("**/forms/market")
    assert "已保存草稿 market 版本 3" in page.inner_text("body")
    assert "测试中的草稿：版本 3" in page.inner_text("#draft")
    assert page.locator("#draft svg.qr").count() == 1
    test_url = page.inner_text("[data-testid=test-url]")
    assert "/draft/" in test_url and test_url.endswith("/openrosa")
    assert "logo.png" in page.inner_text("[data-testid=missing-media]")
    page.screenshot(path=str(artifacts / "form-draft.png"), full_page=True)

    page.set_input_files("#media input[name=media]", [str(tmp_path / n) for n in list(form.media)[2:]])
    page.click("#media button[type=submit]")
    page.wait_for_selector("text=已保存 2 个媒体文件。")
    assert page.locator("[data-testid=missing-media]").count() == 0
    assert page.locator("#media tbody tr").count() == 4

    page.click("#draft button[type=submit]")
    page.wait_for_selector("text=已发布 market 版本 3。")
    assert page.locator("#draft").count() == 0
    assert "当前" in page.inner_text("#versions")
    page.check(f"#audience input[name=area_ids][value='{world.v1.id}']")
    page.click("#audience button[type=submit]")
    page.wait_for_selector("text=已保存表单下发范围。")
    db.session.expire_all()
    from server.surveys.models import Form
    stored = db.session.scalar(db.select(Form).filter_by(form_id="market"))
    assert stored.state == "published" and stored.audience_area_ids == [world.v1.id]
    assert page.outside == []
    from server.surveys.models import FormVersion
    assert db.session.scalar(db.select(FormVersion.draft_token).filter_by(form_pk=stored.id)) is None
    page.context.close()
