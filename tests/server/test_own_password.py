"""A user changes their own password on a web page; a manager's reset follows the same rule
(auth.set_password): at least 8 characters, and every web session of that user ends."""
import re

from server.audit.models import AuditEntry

from .test_sessions_headers import _copy_cookie, sign_in


def page_csrf(client, path="/account/password"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def change(client, current, new, confirm=None):
    return client.post("/account/password", data={
        "current": current, "password": new, "confirm": new if confirm is None else confirm,
        "csrf_token": page_csrf(client)})


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login?next=/account/password" in response.headers["Location"]


def test_the_page_is_chinese_and_linked_from_the_top_bar(client, world):
    sign_in(client)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/account/password"' in dashboard
    page = client.get("/account/password").get_data(as_text=True)
    assert "修改密码" in page and "当前密码" in page and "再次输入新密码" in page


def test_changing_keeps_this_browser_and_ends_every_other_copy(app, client, world, db):
    sign_in(client)
    other = app.test_client()
    _copy_cookie(client, other)
    assert other.get("/api/v1/me").status_code == 200
    response = change(client, "secret-pass", "a-longer-secret")
    assert response.status_code == 303
    assert "密码已修改" in client.get("/dashboard").get_data(as_text=True)
    assert client.get("/api/v1/me").json["username"] == "manager"
    assert other.get("/api/v1/me").status_code == 401
    fresh = app.test_client()
    assert sign_in(fresh, password="secret-pass").status_code == 401
    assert sign_in(fresh, password="a-longer-secret").status_code == 302
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="user.password")).one()
    assert entry.actor_id == world.manager.id and "a-longer-secret" not in str(entry.details)


def test_wrong_current_short_or_mismatched_new_are_refused_inline(client, world):
    sign_in(client)
    cases = [(("wrong-pass", "a-longer-secret"), 401, "当前密码不正确"),
             (("secret-pass", "short"), 422, "密码至少 8 个字符"),
             (("secret-pass", "a-longer-secret", "a-different-one"), 422, "两次输入的新密码不一致"),
             (("secret-pass", "secret-pass"), 422, "新密码不能与当前密码相同")]
    for args, status, text in cases:
        response = change(client, *args)
        assert response.status_code == status, args
        assert text in response.get_data(as_text=True)
        assert client.get("/api/v1/me").status_code == 200  # still signed in, nothing changed
    assert sign_in(client, password="secret-pass").status_code == 302


def test_wrong_current_passwords_count_towards_the_sign_in_limit(app, client, world):
    sign_in(client)
    limit = app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]
    statuses = [change(client, f"guess-{n}", "a-longer-secret").status_code for n in range(limit + 2)]
    assert statuses[-1] == 429
    assert statuses[0] == 401


def test_english_interface(client, world):
    sign_in(client)
    client.get("/dashboard?lang=en")
    response = change(client, "secret-pass", "short")
    assert "A password has at least 8 characters." in response.get_data(as_text=True)


def test_a_manager_reset_ends_the_persons_sessions(app, client, world):
    cadre_browser = app.test_client()
    assert sign_in(cadre_browser, username="cadre01").status_code == 302
    assert cadre_browser.get("/api/v1/me").status_code == 200
    sign_in(client)
    csrf = page_csrf(client, f"/users/{world.cadre.id}")
    short = client.post(f"/users/{world.cadre.id}/password", data={"password": "short", "csrf_token": csrf})
    assert short.status_code == 303 and cadre_browser.get("/api/v1/me").status_code == 200
    done = client.post(f"/users/{world.cadre.id}/password", data={"password": "new-cadre-pass", "csrf_token": csrf})
    assert done.status_code == 303
    assert cadre_browser.get("/api/v1/me").status_code == 401
    assert sign_in(app.test_client(), username="cadre01", password="new-cadre-pass").status_code == 302


def test_the_cli_refuses_a_short_password(app, world):
    result = app.test_cli_runner().invoke(args=["users", "set-password", "manager", "short"])
    assert result.exit_code != 0 and "8" in result.output
