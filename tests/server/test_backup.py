"""`flask backup DIR` / `flask restore DIR`: a running instance's database and attachments, restored into an
empty instance, compare equal table by table and file by file (SQLite and PostgreSQL)."""
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text

from server import create_app
from server.config import TestConfig
from server.extensions import db
from tests.sync.conftest import device_token, post_xml, served_xform, visit_xml  # noqa: F401  (fixtures)


def _empty_database_url(app, tmp_path) -> str:
    """A new, empty database of the same engine as the test app's."""
    url = db.engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _rows(engine) -> dict:
    """Every row of every table (the schema's and Alembic's), in primary-key order."""
    from server.extensions import db as database
    tables = {}
    with engine.connect() as conn:
        for table in database.metadata.sorted_tables:
            tables[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]
        tables["alembic_version"] = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return tables


def _files(root) -> dict:
    root = Path(root)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def filled(app, client, world, device_token, visit_xml, post_xml):
    """Two visits with photos over OpenRosa, one refused payload in quarantine."""
    token = device_token(world.cadre)
    for n, household in enumerate((world.h1, world.h2)):
        xml = visit_xml(token, household, lat=household.lat, lon=household.lon, photo=f"p{n}.jpg")
        assert post_xml(token, xml, files={f"p{n}.jpg": f"photo {n} ".encode() * 500}).status_code == 201
    assert post_xml(token, b"<not-xml").status_code == 400
    return token


def test_backup_restores_into_an_empty_instance(app, client, filled, tmp_path):
    backup = tmp_path / "backup"
    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert (backup / "manifest.json").is_file() and "attachment files" in result.output

    class Restored(TestConfig):
        SQLALCHEMY_DATABASE_URI = _empty_database_url(app, tmp_path)
        ATTACHMENT_DIR = str(tmp_path / "restored-attachments")
    restored = create_app(Restored)
    try:
        with restored.app_context():  # the CLI runs in the current app context: make it the restored one
            result = restored.test_cli_runner().invoke(args=["restore", str(backup)])
            assert result.exit_code == 0, result.output
            restored_rows = _rows(db.engine)
            tables = set(inspect(db.engine).get_table_names())
        original_rows = _rows(db.engine)
        assert set(restored_rows) <= tables | {"alembic_version"}
        assert len(original_rows["submissions"]) == 2 and len(original_rows["attachments"]) == 2
        assert original_rows["quarantine"]
        for table, rows in original_rows.items():
            assert restored_rows[table] == rows, table
        assert _files(Restored.ATTACHMENT_DIR) == _files(app.config["ATTACHMENT_DIR"])
        photos = {f"photo {n} ".encode() * 500 for n in range(2)}  # the folder is shared by the test session
        assert photos <= set(_files(Restored.ATTACHMENT_DIR).values())
        # the restored instance serves: the device token from before the backup still works there
        me = restored.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {filled}"})
        assert me.status_code == 200 and me.json["username"] == "cadre01"
        # and it refuses a second restore over its data
        with restored.app_context():
            again = restored.test_cli_runner().invoke(args=["restore", str(backup)])
        assert again.exit_code != 0 and "already has data" in again.output
    finally:
        with restored.app_context():
            db.engine.dispose()


def test_backup_wants_a_new_folder(app, filled, tmp_path):
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "something").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "old")])
    assert result.exit_code != 0 and "not empty" in result.output


def test_backup_skips_half_written_files(app, filled, tmp_path):
    half = Path(app.config["ATTACHMENT_DIR"]) / "ab" / ".tmp-upload"
    half.parent.mkdir(parents=True, exist_ok=True)
    half.write_bytes(b"partial")
    try:
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])
        assert result.exit_code == 0, result.output
        assert not any(p.name.startswith(".tmp-") for p in (tmp_path / "b").rglob("*"))
    finally:
        os.remove(half)
