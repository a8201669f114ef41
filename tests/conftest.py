"""Shared fixtures: the app on a real database (SQLite file or TEST_DATABASE_URL), clean per test,
named users and factories that take only the fields a test cares about."""
import itertools
import os

import pytest
import time_machine
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, text

from server import create_app
from server.config import TestConfig
from server.extensions import db as _db

_counter = itertools.count(1)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app per test session; the schema is built by running the Alembic migrations."""
    url = os.environ.get("TEST_DATABASE_URL")
    tmp = tmp_path_factory.mktemp("lianhu")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = _normalise(url) if url else f"sqlite:///{tmp / 'test.db'}"
        ATTACHMENT_DIR = str(tmp / "attachments")

    application = create_app(Config)
    with application.app_context():
        if _db.engine.dialect.name == "postgresql":
            @event.listens_for(_db.engine, "connect")
            def no_fsync_wait(dbapi_connection, _record):  # test data need not survive a crash
                with dbapi_connection.cursor() as cursor:
                    cursor.execute("SET synchronous_commit TO off")

            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(directory=application.extensions["migrate"].directory)
    return application


def _normalise(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


def clean_database():
    """Empty every table, children first, in one transaction (cheaper than TRUNCATE for small tables)."""
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(autouse=True)
def db(app):
    """Each test starts with empty tables and the built-in forms published."""
    from server.surveys.services import publish_builtins
    with app.app_context():
        clean_database()
        publish_builtins()
        _db.session.commit()
        yield _db
        _db.session.rollback()
        _db.session.remove()


class FreshRequestClient(FlaskClient):
    """A test client whose requests each start with an empty `g`, as in production.

    The autouse `db` fixture keeps one app context open for the whole test, so without this the
    signed-in actor and the Babel locale cached in `g` would leak from one request into the next."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for name in list(vars(g)):
                delattr(g, name)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    """The Flask client, fresh `g` per request. It asks for English (Accept-Language: en), so that tests read
    the messages as raised; a device that names no language gets Chinese (tests/sync/test_refusal_language.py
    removes the header)."""
    app.test_client_class = FreshRequestClient
    try:
        test_client = app.test_client()
        test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        yield test_client
    finally:
        app.test_client_class = None


@pytest.fixture
def clock():
    """clock(moment): this process's clock starts again at `moment` and ticks on (time-machine) for the
    rest of the test. For data whose dates mean something only beside a given now (a period's overdue
    households, the links in force at its end), so that a test passes whatever day it runs on."""
    travels = []

    def set_to(moment):
        travel = time_machine.travel(moment, tick=True)
        travel.start()
        travels.append(travel)
    yield set_to
    for travel in reversed(travels):
        travel.stop()


# ---- factories -------------------------------------------------------------

@pytest.fixture
def make_area(db):
    from server.areas.services import create_area

    def make(name=None, parent=None, level=None, code=None):
        n = next(_counter)
        level = level or ("county" if parent is None else {"county": "township", "township": "village",
                                                           "village": "grid"}[parent.level])
        area = create_area(_System(), code=code or f"A{n:05d}", name=name or f"区域{n}", level=level,
                           parent_id=parent.id if parent else None)
        db.session.commit()
        return area
    return make


@pytest.fixture
def make_user(db):
    from server.auth.services import create_user

    def make(role="cadre", area=None, username=None, password="secret-pass", **extra):
        n = next(_counter)
        user = create_user(username or f"{role}{n}", password, role, area_id=area.id if area else None,
                           display_name=extra.pop("display_name", f"{role} {n}"), **extra)
        db.session.commit()
        return user
    return make


@pytest.fixture
def make_household(db):
    from server.households.models import Household
    from server.households.services import link_cadre

    def make(area, cadre=None, code=None, lat=29.2900, lon=121.4300, **fields):
        n = next(_counter)
        household = Household(code=code or f"H{n:06d}", area_id=area.id, head_name=fields.pop("head_name", f"户主{n}"),
                              address=fields.pop("address", f"{n}号"), lat=lat, lon=lon,
                              location_source="surveyed" if lat is not None else None, **fields)
        db.session.add(household)
        db.session.flush()
        if cadre is not None:
            link_cadre(household, cadre.id, actor=_System())
        db.session.commit()
        return household
    return make


class _System:
    """An admin stand-in for fixtures (no row needed)."""
    id = None
    role = "admin"
    area = None


@pytest.fixture
def world(make_area, make_user, make_household):
    """County > township > two villages; a manager of the township and of each village,
    two cadres with two households each, an admin and a surveyor."""
    county = make_area("宁海县", code="NH")
    town = make_area("桑洲镇", county, code="NH-SZ")
    other_town = make_area("岔路镇", county, code="NH-CL")
    v1 = make_area("清潭村", town, code="NH-SZ-01")
    v2 = make_area("南岭村", town, code="NH-SZ-02")
    v3 = make_area("湖头村", other_town, code="NH-CL-01")
    w = type("World", (), {})()
    w.county, w.town, w.other_town, w.v1, w.v2, w.v3 = county, town, other_town, v1, v2, v3
    w.admin = make_user("admin", username="admin")
    w.manager = make_user("manager", town, username="manager")
    w.v1_manager = make_user("manager", v1, username="v1manager")
    w.v2_manager = make_user("manager", v2, username="v2manager")
    w.other_manager = make_user("manager", other_town, username="othermanager")
    w.cadre = make_user("cadre", v1, username="cadre01")
    w.cadre2 = make_user("cadre", v2, username="cadre02")
    w.other_cadre = make_user("cadre", v3, username="cadre03")
    w.surveyor = make_user("surveyor", town, username="surveyor")
    w.h1 = make_household(v1, w.cadre, code="SZ01-001", lat=29.2901, lon=121.4301)
    w.h2 = make_household(v1, w.cadre, code="SZ01-002", lat=29.2911, lon=121.4311)
    w.h3 = make_household(v2, w.cadre2, code="SZ02-001", lat=29.3001, lon=121.4401)
    w.h4 = make_household(v2, w.cadre2, code="SZ02-002", lat=29.3011, lon=121.4411)
    w.h5 = make_household(v3, w.other_cadre, code="CL01-001", lat=29.2001, lon=121.3401)
    return w


@pytest.fixture
def token_for(db):
    """Issue a device token for a user; returns the Authorization header."""
    from server.auth.services import issue_device

    def issue(user, name="test-device"):
        _, token = issue_device(user, name)
        db.session.commit()
        return {"Authorization": f"Bearer {token}"}
    return issue


@pytest.fixture
def login(client):
    """Sign a user in through the web form; later requests carry the session and CSRF header."""
    import re

    def sign_in(user, password="secret-pass"):
        page = client.get("/login").get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = client.post("/login", data={"username": user.username, "password": password, "csrf_token": csrf})
        assert response.status_code == 302, response.get_data(as_text=True)
        return {"X-CSRFToken": csrf}
    return sign_in
