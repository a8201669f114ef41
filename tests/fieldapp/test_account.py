"""Field app accounts and failures: a revoked token, a refused submission, sign-out, the language switch."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from server.auth.models import Device
from server.auth.services import revoke_device
from server.submissions.models import Submission

from .test_offline_visits import fill_visit, open_context, pending, sign_in, wait_pending

pytestmark = [pytest.mark.browser, pytest.mark.slow]

def idb(page, body: str):
    """Run `body` with `db` (the app's IndexedDB) in the page; the body calls done(value)."""
    return page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('lianhu-fieldapp');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
            const db = open.result;
            const done = (value) => { db.close(); resolve(value); };
            try { %s } catch (error) { db.close(); reject(error); }
        };
    })""" % body)


def count_submissions(db):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Submission))


def test_revoked_token_returns_to_sign_in_and_keeps_the_outbox(world, live_server, chromium, db):
    context, _ = open_context(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    context.set_offline(True)
    fill_visit(page, world.h1, "路灯")
    assert pending(page) == 1

    device = db.session.scalar(select(Device).filter_by(user_id=world.cadre.id))
    revoke_device(world.cadre, device.id)
    db.session.commit()
    context.set_offline(False)
    page.wait_for_selector("[data-testid=revoked]")
    assert "1" in page.inner_text("form[data-testid=signin]")  # the waiting visit is still counted
    assert count_submissions(db) == 0

    page.fill("input[name=password]", "secret-pass")
    page.click("form[data-testid=signin] button[type=submit]")
    wait_pending(page, 0)
    assert count_submissions(db) == 1
    context.close()


def test_refused_submission_shows_the_server_message_and_stays(world, live_server, chromium, db):
    context, _ = open_context(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    context.set_offline(True)
    fill_visit(page, world.h1, "修桥")
    # the same instanceID with different answers: the server must refuse it (409) and the phone keep it
    idb(page, """
        db.transaction('outbox').objectStore('outbox').getAll().onsuccess = async (e) => {
            const item = e.target.result[0];
            const part = item.parts.find((p) => p.name === 'xml_submission_file');
            const xml = (await part.blob.text()).replace('修桥', '修路');
            const parts = item.parts.map((p) => p === part ? {...p, blob: new Blob([xml], {type: 'text/xml'})} : p);
            const later = new Date(Date.parse(item.created_at) + 1000).toISOString();
            const tx = db.transaction('outbox', 'readwrite');
            tx.objectStore('outbox').put({...item, id: 'conflict', parts, created_at: later});
            tx.oncomplete = () => done(true);
        };""")
    page.reload()
    wait_pending(page, 2)
    context.set_offline(False)
    page.wait_for_selector("[data-testid=pending][data-count='1']")
    page.click("[data-testid=pending]")
    item = page.locator(".outbox-item.rejected")
    item.wait_for()
    assert item.locator("[data-testid=outbox-message]").inner_text().strip()  # the OpenRosaResponse message
    assert count_submissions(db) == 1
    page.click("[data-testid=sync]")
    page.wait_for_selector("[data-testid=sync]:not([disabled])")
    assert pending(page) == 1 and count_submissions(db) == 1
    context.close()


def test_english_switch_and_sign_out_forgets_everything(world, live_server, chromium, db):
    context, _ = open_context(chromium, live_server, world.h2)
    page = context.new_page()
    page.goto("/app/")
    page.fill("input[name=username]", world.cadre.username)
    page.fill("input[name=password]", "wrong")
    page.click("form[data-testid=signin] button[type=submit]")
    expect(page.locator("[data-testid=signin-error]")).to_have_text("用户名或密码错误。")
    sign_in(page, world.cadre.username)
    assert "联户走访" in page.inner_text("header")
    page.click("[data-testid=lang]")
    assert "Lianhu visits" in page.inner_text("header")
    page.click(f"a.household[data-code='{world.h2.code}']")
    page.click("[data-testid=fill-visit]")
    page.wait_for_selector(".form-initialization-status.ready", state="attached")
    assert "Visit location" in page.inner_text("[data-testid=form-page]")  # the form's English labels
    page.click("a.back")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("a.back")
    page.click("[data-testid=signout]")
    page.wait_for_selector("form[data-testid=signin]")
    page.reload()
    page.wait_for_selector("form[data-testid=signin]")
    stored = idb(page, """
        const tx = db.transaction(['kv', 'households'], 'readonly');
        const out = {};
        tx.objectStore('kv').get('token').onsuccess = (e) => { out.token = e.target.result ?? null; };
        tx.objectStore('households').count().onsuccess = (e) => { out.households = e.target.result; };
        tx.oncomplete = () => done(out);""")
    assert stored == {"token": None, "households": 0}
    context.close()


def test_visit_for_a_household_moved_away_is_refused_without_signing_out(world, live_server, chromium, db):
    from server.households.services import link_cadre
    context, _ = open_context(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    context.set_offline(True)
    fill_visit(page, world.h1, "低保")
    link_cadre(world.h1, world.cadre2.id, actor=world.admin)  # meanwhile the household went to another cadre
    db.session.commit()

    context.set_offline(False)
    page.click("[data-testid=pending]")
    page.locator(".outbox-item.rejected").wait_for()
    assert world.h1.code in page.inner_text(".outbox-item.rejected [data-testid=outbox-message]")
    assert pending(page) == 1
    assert page.locator("form[data-testid=signin]").count() == 0  # a 403 for the household is not a revoked token
    assert count_submissions(db) == 0
    page.click("a.back")
    expect(page.locator(f"a.household[data-code='{world.h1.code}']")).to_have_count(0)  # the pull removed it
    context.close()


def test_unreadable_cursor_falls_back_to_a_full_pull(world, live_server, chromium, db, make_household):
    context, _ = open_context(chromium, live_server, world.h1)
    page = context.new_page()
    sign_in(page, world.cadre.username)
    idb(page, """const tx = db.transaction('kv', 'readwrite');
        tx.objectStore('kv').put('not-a-cursor', 'cursor');
        tx.oncomplete = () => done(true);""")
    added = make_household(world.v1, world.cadre, code="SZ01-099")
    page.click("[data-testid=sync]")
    expect(page.locator(f"a.household[data-code='{added.code}']")).to_have_count(1)
    expect(page.locator("[data-testid=sync-error]")).to_have_count(0)
    context.close()
