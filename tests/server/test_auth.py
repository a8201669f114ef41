"""Device tokens, web sessions with CSRF, password hashing, users (sign-in limits: test_signin_limits)."""
import re

import pytest
from sqlalchemy import text

from server import create_app
from server.auth.models import Device, User
from server.config import Config


def sign_in_device(client, username, password="secret-pass", name="phone"):
    return client.post("/api/v1/devices", json={"username": username, "password": password, "name": name})


def test_device_token_issued_for_good_credentials(client, world):
    response = sign_in_device(client, "cadre01")
    assert response.status_code == 201
    body = response.json
    assert body["device_id"] > 0 and len(body["token"]) >= 32
    assert body["user"]["username"] == "cadre01" and body["user"]["role"] == "cadre"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json["username"] == "cadre01"


@pytest.mark.parametrize("username,password", [("cadre01", "wrong-pass"), ("nobody", "secret-pass"),
                                               ("cadre01", "")])
def test_device_bad_credentials_give_401_problem(client, world, username, password):
    response = sign_in_device(client, username, password)
    assert response.status_code == 401
    assert response.json["problem"] == "auth.bad_credentials"
    assert response.json["status"] == 401 and response.json["message"]


def test_inactive_user_cannot_get_a_token(client, world, db):
    world.cadre.is_active = False
    db.session.commit()
    assert sign_in_device(client, "cadre01").status_code == 401


def test_device_token_is_stored_hashed(client, world, db):
    token = sign_in_device(client, "cadre01").json["token"]
    db.session.expire_all()
    hashes = db.session.scalars(db.select(Device.token_hash)).all()
    assert hashes and token not in hashes
    dump = " ".join(str(v) for row in db.session.execute(text("SELECT * FROM devices")).all() for v in row)
    assert token not in dump


def test_revoked_token_is_refused_with_403(client, world):
    body = sign_in_device(client, "cadre01").json
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert client.delete(f"/api/v1/devices/{body['device_id']}", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 403 and response.json["problem"] == "auth.token_invalid"
    assert client.get("/api/v1/households", headers=headers).status_code == 403


def test_unknown_token_is_403_and_no_credentials_401(client, world):
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"}).status_code == 403
    response = client.get("/api/v1/me")
    assert response.status_code == 401 and response.json["problem"] == "auth.required"


def test_someone_elses_device_is_404(client, world, token_for):
    other = sign_in_device(client, "cadre02").json
    response = client.delete(f"/api/v1/devices/{other['device_id']}", headers=token_for(world.cadre))
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 200


def test_admin_may_revoke_any_device(client, world, token_for):
    other = sign_in_device(client, "cadre02").json
    assert client.delete(f"/api/v1/devices/{other['device_id']}", headers=token_for(world.admin)).status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {other['token']}"}).status_code == 403


def test_devices_list_shows_only_own(client, world, token_for):
    sign_in_device(client, "cadre02")
    headers = token_for(world.cadre, name="mine")
    listed = client.get("/api/v1/devices", headers=headers).json
    assert [d["name"] for d in listed] == ["mine"]
    assert all(d["user_id"] == world.cadre.id for d in listed)
    assert len(client.get("/api/v1/devices", headers=token_for(world.admin)).json) == 3


def test_me_describes_the_token_holder(client, world, token_for):
    me = client.get("/api/v1/me", headers=token_for(world.manager)).json
    assert me == {**me, "username": "manager", "role": "manager", "area_id": world.town.id}
    assert "password_hash" not in me and "password" not in me


def test_web_login_needs_csrf_token(client, world):
    response = client.post("/login", data={"username": "manager", "password": "secret-pass"})
    assert response.status_code == 400
    assert client.get("/api/v1/me").status_code == 401


def test_web_login_with_wrong_password_stays_signed_out(client, world):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": "manager", "password": "nope", "csrf_token": csrf})
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401


def test_session_api_write_needs_csrf_header(client, world, login):
    headers = login(world.manager)
    assert client.get("/api/v1/me").json["username"] == "manager"
    payload = {"head_name": "王建国"}
    response = client.patch(f"/api/v1/households/{world.h1.id}", json=payload)
    assert response.status_code == 403 and "CSRF" in response.json["message"]
    response = client.patch(f"/api/v1/households/{world.h1.id}", json=payload,
                            headers={"X-CSRFToken": "forged"})
    assert response.status_code == 403
    response = client.patch(f"/api/v1/households/{world.h1.id}", json=payload, headers=headers)
    assert response.status_code == 200 and response.json["head_name"] == "王建国"


def test_logout_ends_the_session(client, world, login):
    headers = login(world.manager)
    assert client.post("/logout", data={"csrf_token": headers["X-CSRFToken"]}).status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_login_redirect_stays_on_this_site(client, world):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "manager", "password": "secret-pass", "csrf_token": csrf})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


def test_production_config_hashes_passwords_with_scrypt(app, world, db):
    assert Config.PASSWORD_HASH_METHOD == "scrypt"
    from server.auth.services import authenticate, hash_password
    with app.test_request_context():
        app.config["PASSWORD_HASH_METHOD"] = Config.PASSWORD_HASH_METHOD
        try:
            hashed = hash_password("correct horse")
        finally:
            app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"
        assert hashed.startswith("scrypt:")
        assert "correct horse" not in hashed
        world.cadre.password_hash = hashed
        db.session.commit()
        assert authenticate("cadre01", "correct horse").id == world.cadre.id


def test_passwords_are_never_stored_plain(world, db):
    stored = db.session.scalars(db.select(User.password_hash)).all()
    assert stored and all("secret-pass" not in h and ":" in h for h in stored)


# ---- users -----------------------------------------------------------------

def new_user(role, area=None, username="newuser"):
    body = {"username": username, "password": "long-enough-pw", "role": role}
    if area is not None:
        body["area_id"] = area.id
    return body


def test_admin_creates_any_user(client, world, token_for):
    response = client.post("/api/v1/users", json=new_user("manager", world.other_town),
                           headers=token_for(world.admin))
    assert response.status_code == 201
    assert response.json["role"] == "manager" and response.json["area_id"] == world.other_town.id
    assert sign_in_device(client, "newuser", "long-enough-pw").status_code == 201


def test_manager_creates_cadre_in_subtree(client, world, token_for):
    response = client.post("/api/v1/users", json=new_user("cadre", world.v2), headers=token_for(world.manager))
    assert response.status_code == 201 and response.json["area_id"] == world.v2.id


def test_manager_cadre_defaults_to_manager_area(client, world, token_for):
    response = client.post("/api/v1/users", json=new_user("surveyor"), headers=token_for(world.v1_manager))
    assert response.status_code == 201 and response.json["area_id"] == world.v1.id


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_manager_cannot_create_admins_or_managers(client, world, token_for, role):
    response = client.post("/api/v1/users", json=new_user(role, world.v1), headers=token_for(world.manager))
    assert response.status_code == 403


def test_manager_cannot_create_users_outside_subtree(client, world, token_for):
    response = client.post("/api/v1/users", json=new_user("cadre", world.v3), headers=token_for(world.manager))
    assert response.status_code == 404
    response = client.post("/api/v1/users", json=new_user("cadre", world.v2), headers=token_for(world.v1_manager))
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["cadre", "surveyor"])
def test_field_roles_cannot_create_or_list_users(client, world, token_for, who):
    headers = token_for(getattr(world, who))
    assert client.post("/api/v1/users", json=new_user("cadre", world.v1), headers=headers).status_code == 403
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_duplicate_username_is_409(client, world, token_for):
    response = client.post("/api/v1/users", json=new_user("cadre", world.v1, username="cadre01"),
                           headers=token_for(world.admin))
    assert response.status_code == 409


def test_user_create_validates_fields(client, world, token_for):
    body = {"username": "x y", "password": "short", "role": "wizard"}
    response = client.post("/api/v1/users", json=body, headers=token_for(world.admin))
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert set(errors) >= {"username", "password", "role"}


def test_manager_lists_users_of_subtree_only(client, world, token_for):
    names = {u["username"] for u in client.get("/api/v1/users", headers=token_for(world.v1_manager)).json}
    assert names == {"v1manager", "cadre01"}
    names = {u["username"] for u in client.get("/api/v1/users?role=cadre", headers=token_for(world.manager)).json}
    assert names == {"cadre01", "cadre02"}


def test_device_last_seen_is_saved_on_reads(client, world, db):
    from datetime import timedelta
    body = sign_in_device(client, "cadre01").json
    device = db.session.get(Device, body["device_id"])
    device.last_seen_at = device.created_at - timedelta(hours=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}).status_code == 200
    db.session.rollback()  # only what the request committed remains
    db.session.expire_all()
    assert db.session.get(Device, body["device_id"]).last_seen_at >= device.created_at


def test_production_refuses_to_start_with_the_development_secret_key():
    from server import create_app
    from server.config import Config

    class Production(Config):
        DEVELOPMENT = False
        SECRET_KEY = "dev-only-not-secret"
        SQLALCHEMY_DATABASE_URI = "sqlite://"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Production)
