"""Sign-in limits: failures only, per account and per address, shared by every worker (database or Redis),
on /login, POST /api/v1/devices and HTTP Basic over OpenRosa, with the wait told in Chinese."""
import base64
import re
import uuid
from datetime import timedelta

import pytest
from server import create_app
from server.auth.models import SignInFailure
from server.config import TestConfig


def device_sign_in(client, username, password="secret-pass", address="127.0.0.1"):
    return client.post("/api/v1/devices", json={"username": username, "password": password, "name": "phone"},
                       environ_base={"REMOTE_ADDR": address})


def basic(username, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def test_thirty_cadres_from_one_office_all_sign_in(client, world, make_user):
    cadres = [make_user("cadre", world.v1, username=f"office{n:02d}") for n in range(30)]
    for cadre in cadres[:10]:  # some mistype first: failures of different accounts from one address
        assert device_sign_in(client, cadre.username, "typo", address="10.1.1.1").status_code == 401
    codes = [device_sign_in(client, cadre.username, address="10.1.1.1").status_code for cadre in cadres]
    assert codes == [201] * 30


def test_ten_wrong_passwords_lock_the_account_from_any_address(client, world):
    del client.environ_base["HTTP_ACCEPT_LANGUAGE"]  # names no language, as ODK Collect: Chinese
    codes = [device_sign_in(client, "cadre01", "guess", address=f"10.0.0.{n}").status_code for n in range(10)]
    assert codes == [401] * 10
    refused = device_sign_in(client, "cadre01", address="10.9.9.9")  # even the right password, elsewhere
    assert refused.status_code == 429
    assert refused.json["problem"] == "auth.throttled"
    assert re.fullmatch(r"登录失败次数过多，请 1[0-5] 分钟后再试。", refused.json["message"])
    assert 14 * 60 < int(refused.headers["Retry-After"]) <= 15 * 60
    assert refused.json["details"]["retry_after"] == int(refused.headers["Retry-After"])
    assert device_sign_in(client, "cadre02", address="10.0.0.1").status_code == 201  # others unaffected


def test_the_wait_is_in_english_when_asked(client, world):
    for _ in range(10):
        device_sign_in(client, "cadre01", "guess")
    refused = client.post("/api/v1/devices?lang=en", json={"username": "cadre01", "password": "x", "name": "p"})
    assert refused.status_code == 429
    assert re.fullmatch(r"Too many failed sign-ins\. Try again in 1[0-5] minutes\.", refused.json["message"])


def test_the_account_opens_again_when_the_failures_age_out(client, world, db):
    for _ in range(10):
        device_sign_in(client, "cadre01", "guess")
    assert device_sign_in(client, "cadre01").status_code == 429
    for failure in db.session.scalars(db.select(SignInFailure)):
        failure.failed_at -= timedelta(minutes=16)
    db.session.commit()
    assert device_sign_in(client, "cadre01").status_code == 201


def test_one_address_guessing_many_accounts_is_slowed(client, world, make_user):
    for n in range(100):
        assert device_sign_in(client, f"ghost{n}", "guess", address="10.6.6.6").status_code == 401
    assert device_sign_in(client, "cadre01", address="10.6.6.6").status_code == 429
    assert device_sign_in(client, "cadre01", address="10.6.6.7").status_code == 201


def test_openrosa_basic_auth_is_limited_with_an_openrosa_answer(client, world):
    del client.environ_base["HTTP_ACCEPT_LANGUAGE"]  # names no language, as ODK Collect: Chinese
    def form_list(password, address="127.0.0.1"):
        return client.get("/openrosa/formList", headers=basic("cadre01", password), base_url="https://localhost",
                          environ_base={"REMOTE_ADDR": address})
    assert form_list("secret-pass").status_code == 200
    codes = [form_list(f"guess{n}", f"10.2.0.{n}").status_code for n in range(10)]
    assert codes == [401] * 10
    refused = form_list("secret-pass")
    assert refused.status_code == 429
    assert refused.headers["X-OpenRosa-Version"] == "1.0" and int(refused.headers["Retry-After"]) > 0
    body = refused.get_data(as_text=True)
    assert "<OpenRosaResponse" in body and "登录失败次数过多" in body and "分钟后再试" in body


def test_web_login_is_limited_and_says_how_long(client, world):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "manager", "password": "bad-password", "csrf_token": csrf}
    codes = [client.post("/login", data=form).status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    refused = client.post("/login", data={**form, "password": "secret-pass"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert re.search(r"登录失败次数过多，请 1[0-5] 分钟后再试。", refused.get_data(as_text=True))
    assert client.get("/api/v1/me").status_code == 401


def test_successful_sign_ins_are_not_counted(client, world):
    codes = {device_sign_in(client, "cadre01").status_code for _ in range(25)}
    assert codes == {201}


def _second_worker(app, **settings):
    """Another app on the same database: what a second gunicorn worker or app server is."""
    class Worker(TestConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        ATTACHMENT_DIR = app.config["ATTACHMENT_DIR"]
    for key, value in settings.items():
        setattr(Worker, key, value)
    return create_app(Worker)


def test_failures_are_shared_by_workers(app, client, world):
    other = _second_worker(app)
    try:
        other_client = other.test_client()
        for n in range(10):
            worker = client if n % 2 else other_client
            assert device_sign_in(worker, "cadre01", "guess").status_code == 401
        assert device_sign_in(client, "cadre01").status_code == 429
        assert device_sign_in(other_client, "cadre01").status_code == 429
    finally:
        with other.app_context():
            from server.extensions import db
            db.engine.dispose()


def _redis_or_skip():
    try:
        import redis
        redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping()
    except Exception as exc:  # no client library or no server
        pytest.skip(f"Redis at 127.0.0.1:6379 not reachable: {exc}")


def test_failures_can_live_in_redis(app, world):
    """RATELIMIT_STORAGE_URI=redis://...: two workers share the counts there, the database holds none."""
    _redis_or_skip()
    uri = "redis://127.0.0.1:6379/0"
    name = f"cadre-{uuid.uuid4().hex[:8]}"  # Redis is not emptied between tests: a fresh account
    workers = [_second_worker(app, RATELIMIT_STORAGE_URI=uri) for _ in range(2)]
    try:
        from server.extensions import db
        with workers[0].app_context():
            from server.auth.services import create_user
            create_user(name, "secret-pass", "cadre", area_id=world.v1.id)
            db.session.commit()
        clients = [w.test_client() for w in workers]
        address = f"10.{uuid.uuid4().int % 250}.3.4"
        for n in range(10):
            assert device_sign_in(clients[n % 2], name, "guess", address).status_code == 401
        refused = device_sign_in(clients[0], name, address="10.200.0.1")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        with workers[1].app_context():
            assert db.session.query(SignInFailure).count() == 0
    finally:
        for worker in workers:
            with worker.app_context():
                from server.extensions import db
                db.engine.dispose()


def test_client_address_comes_from_the_proxy_only_when_trusted(app, client, world):
    """Behind nginx (TRUSTED_PROXIES=1) the address is X-Forwarded-For; without a proxy a forged one is ignored."""
    proxied = _second_worker(app, TRUSTED_PROXIES=1, SIGNIN_MAX_FAILURES_PER_ADDRESS=5)
    direct = _second_worker(app, SIGNIN_MAX_FAILURES_PER_ADDRESS=5)
    try:
        def attempt(worker, username, password, forwarded):
            return worker.test_client().post("/api/v1/devices", json={"username": username, "password": password,
                                                                       "name": "p"},
                                             headers={"X-Forwarded-For": forwarded}).status_code
        assert [attempt(proxied, f"ghost{n}", "x", "10.7.7.7") for n in range(5)] == [401] * 5
        assert attempt(proxied, "cadre01", "secret-pass", "10.7.7.7") == 429
        assert attempt(proxied, "cadre01", "secret-pass", "10.7.7.8") == 201
        assert [attempt(direct, f"phantom{n}", "x", f"10.8.0.{n}") for n in range(5)] == [401] * 5
        assert attempt(direct, "cadre02", "secret-pass", "10.8.0.99") == 429  # the real address is 127.0.0.1
        # and HTTPS as nginx saw it allows HTTP Basic on OpenRosa
        response = proxied.test_client().get("/openrosa/formList", headers={
            **basic("cadre02", "secret-pass"), "X-Forwarded-For": "10.7.7.9", "X-Forwarded-Proto": "https"})
        assert response.status_code == 200
    finally:
        for worker in (proxied, direct):
            with worker.app_context():
                from server.extensions import db
                db.engine.dispose()
