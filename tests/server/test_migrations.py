"""The Alembic migrations build the whole schema from nothing and match the models exactly."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from server import create_app
from server.config import TestConfig
from server.extensions import db as _db


@pytest.fixture
def empty_database_url(tmp_path):
    """A brand-new empty database: a SQLite file, or a fresh PostgreSQL database when testing on one."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{url.database}_migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_to_head_matches_models(empty_database_url, tmp_path):
    class Fresh(TestConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url
        ATTACHMENT_DIR = str(tmp_path / "attachments")

    app = create_app(Fresh)
    with app.app_context():
        assert inspect(_db.engine).get_table_names() == []
        upgrade(directory=app.extensions["migrate"].directory)
        tables = set(inspect(_db.engine).get_table_names())
        assert {"areas", "users", "devices", "households", "assignments", "visit_policies", "forms",
                "form_versions", "submissions", "attachments", "quarantine", "cases", "audit_log"} <= tables
        assert {t.name for t in _db.metadata.sorted_tables} <= tables
        with _db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "render_as_batch": True})
            diff = compare_metadata(context, _db.metadata)
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert diff == [], f"models and migrations differ: {diff}"
        assert head
        _db.session.remove()
        _db.engine.dispose()
