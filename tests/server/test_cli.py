"""`flask setup` and `flask users create` (forms upload and households import: test_forms_api, test_import)."""
from server.auth.models import User
from server.surveys.models import FormVersion


def test_setup_is_idempotent_and_keeps_forms(app, db):
    before = db.session.scalar(db.select(db.func.count()).select_from(FormVersion))
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(FormVersion)) == before == 2


def test_setup_publishes_builtin_forms_when_missing(app, db):
    db.session.execute(db.delete(FormVersion))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    assert "published visit" in result.output and "published satisfaction" in result.output


def test_users_create(app, world, db, client):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "wang", "long-password", "--role", "manager",
                                 "--area", "NH-SZ-02", "--name", "王主任"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(username="wang"))
    assert (user.role, user.area_id, user.display_name) == ("manager", world.v2.id, "王主任")
    assert client.post("/api/v1/devices", json={"username": "wang", "password": "long-password"}).status_code == 201


def test_users_create_refuses_unknown_area_and_taken_name(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "li", "long-password", "--role", "cadre", "--area", "NOPE"])
    assert result.exit_code != 0 and "Unknown area NOPE" in result.output
    result = runner.invoke(args=["users", "create", "admin", "long-password", "--role", "admin"])
    assert result.exit_code != 0 and "taken" in result.output and "Traceback" not in result.output


def test_commands_need_an_admin(app, db, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("code,area_code\nX,Y\n")
    result = app.test_cli_runner().invoke(args=["households", "import", str(path)])
    assert result.exit_code != 0 and "Create an admin first" in result.output
