"""Web sessions (cookie flags, working-day lifetime, idle expiry, server-side sign-out and password change),
redirects after sign-in, and the security headers every response carries."""
import re
import subprocess
import sys
import time

import pytest

from server.auth.services import set_password
from server.config import ROOT


def csrf_of(client):
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def sign_in(client, username="manager", password="secret-pass", next_=None):
    url = "/login" if next_ is None else "/login?next=" + next_
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_of(client)})


@pytest.mark.parametrize("target", ["/%09/evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example",
                                    "https://evil.example/", "/%0d%0a/evil.example", "javascript:alert(1)",
                                    "/%5Cevil.example", "%2F%2Fevil.example", "/\t\\evil.example"])
def test_sign_in_never_redirects_off_site(client, world, target):
    response = sign_in(client, next_=target)
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location and "javascript" not in location
    assert location == "/"


def test_sign_in_goes_back_to_the_page_asked_for(client, world):
    response = sign_in(client, next_="/households%3Fpage%3D2")
    assert response.status_code == 302 and response.headers["Location"] == "/households?page=2"


def test_session_cookie_flags_and_lifetime(client, world):
    response = sign_in(client)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    from email.utils import parsedate_to_datetime
    hours = (parsedate_to_datetime(expires).timestamp() - time.time()) / 3600
    assert 9.9 < hours <= 10.01  # a working day, not 31 days


def test_session_cookie_is_secure_outside_development():
    code = "from server.config import Config; print(Config.SESSION_COOKIE_SECURE, Config.DEVELOPMENT)"
    run = lambda env: subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                     env={"PATH": "/usr/bin:/bin", "LIANHU_ENV": env}).stdout.split()
    assert run("production") == ["True", "False"]
    assert run("development") == ["False", "True"]


def _copy_cookie(source, target):
    cookie = source.get_cookie("session")
    target.set_cookie("session", cookie.value)


def test_a_copied_cookie_stops_working_after_sign_out(app, client, world):
    assert sign_in(client).status_code == 302
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/api/v1/me").json["username"] == "manager"
    page_csrf = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/dashboard").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": page_csrf.group(1)}).status_code == 302
    assert client.get("/api/v1/me").status_code == 401
    assert thief.get("/api/v1/me").status_code == 401
    assert thief.get("/dashboard").status_code == 302  # sent to sign in


def test_a_password_change_ends_every_session(app, client, world, db):
    assert sign_in(client).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    set_password(world.manager, "a-new-password")
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401
    assert sign_in(client, password="secret-pass").status_code == 401
    assert sign_in(client, password="a-new-password").status_code == 302
    assert client.get("/api/v1/me").status_code == 200


def test_password_change_from_the_command_line(app, client, world):
    assert sign_in(client).status_code == 302
    result = app.test_cli_runner().invoke(args=["users", "set-password", "manager", "another-password"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("field,age_s,live", [("seen", 59 * 60, True), ("seen", 61 * 60, False),
                                              ("started", 9 * 3600, True), ("started", 10 * 3600 + 60, False)])
def test_idle_and_old_sessions_end(client, world, field, age_s, live):
    assert sign_in(client).status_code == 302
    with client.session_transaction() as session:
        session[field] = int(time.time()) - age_s
    assert client.get("/api/v1/me").status_code == (200 if live else 401)


def test_use_keeps_a_session_alive(client, world):
    assert sign_in(client).status_code == 302
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 50 * 60
    assert client.get("/api/v1/me").status_code == 200
    with client.session_transaction() as session:
        assert time.time() - session["seen"] < 5


@pytest.mark.parametrize("path", ["/login", "/dashboard", "/api/v1/me", "/api/openapi.json", "/api/docs",
                                  "/openrosa/formList", "/app/", "/static/app.css", "/no-such-page"])
def test_every_response_carries_security_headers(client, world, path):
    response = client.get(path)
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")
    assert headers["Strict-Transport-Security"].startswith("max-age=")  # outside development
    if path != "/api/docs":
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_no_hsts_in_development(app, client):
    app.config["DEVELOPMENT"] = True
    try:
        assert "Strict-Transport-Security" not in client.get("/login").headers
    finally:
        app.config["DEVELOPMENT"] = False
