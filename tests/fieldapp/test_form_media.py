"""Form media in the field app: a form's own CSV list (select_one_from_file), pulldata from it and a label
image work on the phone, from what the manifest serves, and the submission reaches the server."""
import io
import re
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from server.submissions.models import Submission

from .conftest import PHONE, wait_js

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "forms"))
import corpus  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_csv_list_pulldata_and_label_image_work_in_the_field_app(world, live_server, chromium, client, token_for,
                                                                  db, artifacts):
    form = corpus.market()
    response = client.post("/api/v1/forms", headers=token_for(world.admin), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(form.data), form.filename),
                                 "media": [(io.BytesIO(c), n) for n, c in form.media.items()]})
    assert response.status_code == 201, response.json
    context = chromium.new_context(**PHONE, base_url=live_server, locale="en-US")
    context.set_default_timeout(30000)
    page = context.new_page()
    media_seen = []
    page.on("response", lambda r: media_seen.append(r.url) if "/media/" in r.url else None)
    page.goto("/app/")
    page.fill("input[name=username]", world.cadre.username)
    page.fill("input[name=password]", "secret-pass")
    page.click("form[data-testid=signin] button[type=submit]")
    page.wait_for_selector("a.household")
    wait_js(page, "document.documentElement.dataset.offlineReady === '1'")
    assert {u.rsplit("/", 1)[1] for u in media_seen} >= {"fruits.csv", "logo.png", "stalls.geojson"}
    page.goto("/app/#/form/market")
    page.wait_for_selector(".form-initialization-status.ready", state="attached")
    fruit = page.locator(".question-container").filter(has_text="Fruit")
    fruit.get_by_text("Pear", exact=True).click()  # choices from the form's own fruits.csv
    page.get_by_text("Price: 4").wait_for()  # pulldata('fruits', 'price', 'name', ${fruit})
    image = page.locator(".question-container").filter(has_text="Price").locator("img")
    image.wait_for()
    wait_js(page, "(img) => img.complete && img.naturalWidth === 8", image.element_handle())
    assert page.get_by_text("Failed to load").count() == 0  # the label image and audio both load
    page.locator(".question-container").filter(has_text="Region").get_by_text("South", exact=True).click()
    district = page.locator(".question-container").filter(has_text="District")
    assert district.get_by_text("S one", exact=True).is_visible()
    assert district.get_by_text("N one", exact=True).count() == 0  # choice_filter region=${region}
    district.get_by_text("S one", exact=True).click()
    page.screenshot(path=str(artifacts / "fieldapp-form-media.png"), full_page=True)
    page.get_by_role("button", name=re.compile("^(Send|提交)$")).click()  # the engine's text, translated
    page.wait_for_selector("[data-testid=saved]")
    for _ in range(60):
        db.session.expire_all()
        stored = db.session.scalars(select(Submission).where(Submission.kind == "other")).all()
        if stored:
            break
        page.wait_for_timeout(500)
    assert len(stored) == 1
    answers = stored[0].answers
    assert (answers["fruit"], answers["price"], answers["district"]) == ("pear", "4", "s1")
    context.close()
