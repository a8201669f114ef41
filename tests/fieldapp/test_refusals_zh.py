"""Refused outbox items read in the app's language: the server's refusal in Chinese (the app says its
language on every request, whatever the phone's own locale), English by the switch (issue 13)."""
import re

import pytest

from server.households.services import link_cadre

from .conftest import PHONE
from .phone import english_words, sign_in
from .test_account import count_submissions, idb
from .test_offline_visits import fill_visit, wait_pending

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HAN = re.compile(r"[\u4e00-\u9fff]")


def _messages(page) -> dict:
    page.locator(".outbox-item.rejected").first.wait_for()
    return {item.get_attribute("data-id"): item.locator("[data-testid=outbox-message]").inner_text().strip()
            for item in page.locator(".outbox-item.rejected").all()}


def test_refused_items_are_chinese_and_english_by_the_switch(world, live_server, chromium, artifacts, db):
    # an English-speaking browser: the Chinese the server answers in comes from the app's own header
    context = chromium.new_context(**PHONE, base_url=live_server, locale="en-US", permissions=["geolocation"],
                                   geolocation={"latitude": world.h1.lat + 0.00002, "longitude": world.h1.lon,
                                                "accuracy": 5})
    context.set_default_timeout(30000)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    context.set_offline(True)
    fill_visit(page, world.h1, "低保")
    page.click("a.back")
    fill_visit(page, world.h2, "修桥")
    # a copy of the second visit under the same instanceID with other answers: the server must refuse it (409)
    idb(page, f"""
        db.transaction('outbox').objectStore('outbox').getAll().onsuccess = async (e) => {{
            const item = e.target.result.find((i) => i.household_code === '{world.h2.code}');
            const part = item.parts.find((p) => p.name === 'xml_submission_file');
            const xml = (await part.blob.text()).replace('修桥', '修路');
            const parts = item.parts.map((p) => p === part ? {{...p, blob: new Blob([xml], {{type: 'text/xml'}})}} : p);
            const later = new Date(Date.parse(item.created_at) + 1000).toISOString();
            const tx = db.transaction('outbox', 'readwrite');
            tx.objectStore('outbox').put({{...item, id: 'copy', parts, created_at: later}});
            tx.oncomplete = () => done(true);
        }};""")
    page.reload()
    wait_pending(page, 3)
    link_cadre(world.h1, world.cadre2.id, actor=world.admin)  # meanwhile the first household went to another cadre
    db.session.commit()

    context.set_offline(False)
    page.wait_for_selector("[data-testid=pending][data-count='2']")
    page.click("[data-testid=pending]")
    page.locator(".outbox-item.rejected").nth(1).wait_for()
    messages = _messages(page)
    assert count_submissions(db) == 1
    assert messages["copy"] == "服务器上已有一份编号相同但内容不同的提交。"
    (refused_id,) = [key for key in messages if key != "copy"]
    assert messages[refused_id] == f"您无权为农户 {world.h1.code} 提交走访记录，该户可能已改由他人联系。"
    assert english_words(page, world.cadre.username) == [], "outbox with refused items"
    page.screenshot(path=str(artifacts / "phone-zh-refused.png"), full_page=True)

    page.click("[data-testid=lang]")  # English: the app's own texts for what was refused in Chinese ...
    english = _messages(page)
    assert english["copy"] == "A different submission with this instanceID exists."
    assert english[refused_id].startswith("You may not submit for this household")
    assert not any(HAN.search(text) for text in english.values())
    page.locator(f".outbox-item[data-id='{refused_id}'] button", has_text="Retry").click()
    # ... and the server's English, with the household code, once sent again in English
    page.locator(".outbox-item.rejected [data-testid=outbox-message]",
                 has_text=f"You may not submit for household {world.h1.code}.").wait_for()
    assert count_submissions(db) == 1
    context.close()
