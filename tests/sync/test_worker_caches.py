"""Each worker caches device tokens and form versions; a change made through another worker (another
app instance on the same database) takes effect at once: a revoked token, a deactivated user, a
closed form (server/epochs.py)."""
from io import BytesIO

import pytest
from sqlalchemy import event, text

from server import create_app
from server.auth.services import issue_device
from server.epochs import CacheEpoch
from server.surveys.services import get_form, set_state


@pytest.fixture(scope="module")
def worker_b(app):
    """A second app instance on the test database, as a second gunicorn worker is."""
    config = type("WorkerB", (), {k: v for k, v in app.config.items() if k.isupper()})
    other = create_app(config)
    yield other
    with other.app_context():
        from server.extensions import db
        db.engine.dispose()


@pytest.fixture
def statements(worker_b):
    """The SQL statements worker B runs, as they run."""
    from server.extensions import db
    seen = []
    with worker_b.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def _device(db, user):
    device, token = issue_device(user, "phone")
    db.session.commit()
    return device.id, token


def _warm(worker, token):
    """Two requests with the token (the first after the test's clean start also puts the epochs back)."""
    for _ in range(2):
        assert _form_list(worker, token).status_code == 200


def _form_list(worker, token):
    return worker.test_client().get(f"/key/{token}/openrosa/formList", headers={"X-OpenRosa-Version": "1.0"})


def _post(worker, token, xml):
    return worker.test_client().post(
        f"/key/{token}/openrosa/submission", content_type="multipart/form-data",
        data={"xml_submission_file": (BytesIO(xml), "submission.xml", "text/xml")},
        headers={"X-OpenRosa-Version": "1.0"})


def test_a_cached_token_reads_no_device_row(worker_b, world, db, statements):
    _, token = _device(db, world.cadre)
    _warm(worker_b, token)
    assert any("FROM devices" in s for s in statements)
    statements.clear()
    assert _form_list(worker_b, token).status_code == 200
    assert not any("FROM devices" in s or "FROM users" in s for s in statements), statements
    # the epochs were read as the request took its connection (the pool's check), not by a statement
    assert not any("FROM cache_epochs" in s for s in statements), statements


def test_a_connection_that_died_in_the_pool_is_replaced(worker_b, world, db):
    """The epochs read at checkout is also the connection's liveness check (pool_pre_ping's job): a
    pooled connection the server closed is discarded and the request goes on with a new one."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a SQLite file has no server to close the connection")
    _, token = _device(db, world.cadre)
    _warm(worker_b, token)
    from server.extensions import db as worker_db
    with worker_b.app_context():
        pids = {row[0] for row in worker_db.session.execute(text("SELECT pg_backend_pid()"))}
        worker_db.session.remove()  # back to worker B's pool, which now holds that connection
    killed = db.session.execute(text("SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM "
                                     "pg_stat_activity WHERE pid = ANY(:pids)) t"), {"pids": list(pids)}).scalar()
    assert killed == 1
    response = _form_list(worker_b, token)
    assert response.status_code == 200, response.data[:300]


def test_a_token_revoked_through_one_worker_is_refused_by_the_other(worker_b, world, db, client):
    device_id, token = _device(db, world.cadre)
    _warm(worker_b, token)  # worker B has it cached
    response = client.delete(f"/api/v1/devices/{device_id}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 204
    refused = _form_list(worker_b, token)
    assert refused.status_code == 403 and refused.headers["X-Lianhu-Problem"] == "auth.token_invalid"
    push = worker_b.test_client().post("/api/v1/sync/push", json={"submissions": []},
                                       headers={"Authorization": f"Bearer {token}"})
    assert push.status_code == 403


def test_a_user_deactivated_elsewhere_loses_every_cached_token(worker_b, world, db, token_for):
    _, token = _device(db, world.cadre)
    bearer = token_for(world.cadre)
    _warm(worker_b, token)
    assert worker_b.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    world.cadre.is_active = False
    db.session.commit()
    assert _form_list(worker_b, token).status_code == 403
    assert worker_b.test_client().get("/api/v1/me", headers=bearer).status_code == 403
    world.cadre.is_active = True
    db.session.commit()
    assert _form_list(worker_b, token).status_code == 200


def test_a_bulk_update_in_sql_invalidates_too(worker_b, world, db):
    """The triggers see every writer, not only the ORM."""
    _, token = _device(db, world.cadre)
    _warm(worker_b, token)
    db.session.execute(text("UPDATE devices SET revoked_at = created_at WHERE user_id = :u"), {"u": world.cadre.id})
    db.session.commit()
    assert _form_list(worker_b, token).status_code == 403


def test_a_device_seen_does_not_invalidate(worker_b, world, db):
    """last_seen_at moves every few minutes; it changes nothing cached."""
    _, first = _device(db, world.cadre)
    _form_list(worker_b, first)  # the epochs are back
    device_id, token = _device(db, world.cadre)
    db.session.expire_all()
    before = db.session.scalar(db.select(CacheEpoch.value).where(CacheEpoch.name == "auth"))
    assert _form_list(worker_b, token).status_code == 200  # writes last_seen_at
    db.session.expire_all()
    assert db.session.scalar(db.select(CacheEpoch.value).where(CacheEpoch.name == "auth")) == before
    assert db.session.execute(text("SELECT last_seen_at FROM devices WHERE id = :d"), {"d": device_id}).scalar()


def test_a_form_closed_through_one_worker_refuses_submissions_in_the_other(worker_b, world, db, device_token,
                                                                            visit_xml):
    token = device_token(world.cadre)
    _warm(worker_b, token)
    first = visit_xml(token, world.h1, lat=world.h1.lat + 0.00005, lon=world.h1.lon)
    second = visit_xml(token, world.h2, lat=world.h2.lat + 0.00005, lon=world.h2.lon)
    assert _post(worker_b, token, first).status_code == 201  # worker B has the version cached
    set_state(world.admin, get_form("visit"), "closed")
    db.session.commit()
    response = _post(worker_b, token, second)
    assert response.status_code == 409 and response.headers["X-Lianhu-Problem"] == "form.closed"


def test_an_emptied_epoch_table_is_put_back_and_serves_nothing_stale(worker_b, world, db, client):
    device_id, token = _device(db, world.cadre)
    _warm(worker_b, token)
    db.session.execute(CacheEpoch.__table__.delete())
    db.session.commit()
    assert client.delete(f"/api/v1/devices/{device_id}",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert _form_list(worker_b, token).status_code == 403
    db.session.expire_all()
    assert set(db.session.scalars(db.select(CacheEpoch.name))) == {"auth", "forms"}


@pytest.mark.parametrize("connect_hook", [False, True])
def test_a_database_without_the_epochs_table_still_serves_connections(db, tmp_path, connect_hook):
    """Before the migrations (a new database) the read at checkout finds no table: the connection is
    handed out all the same and works, also when a connect hook left it inside a transaction, which
    a failed read would have aborted (PostgreSQL)."""
    from sqlalchemy import create_engine
    from server import epochs
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("CREATE SCHEMA IF NOT EXISTS no_tables_yet"))
        engine = create_engine(db.engine.url, connect_args={"options": "-c search_path=no_tables_yet"})
    else:
        engine = create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    if connect_hook:
        @event.listens_for(engine, "connect")
        def hook(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("SELECT 1")  # pysqlite and psycopg alike: PostgreSQL is now in a transaction
            cursor.close()
    epochs.install(engine)
    try:
        for _ in range(2):  # a new connection, then the same one taken again from the pool
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 41 + 1")).scalar() == 42
    finally:
        engine.dispose()


def test_a_request_that_writes_before_its_first_read_of_the_epochs_reads_them_again(app, db, world):
    """The counters read at checkout predate what the request itself writes: after its first write
    (which may revoke a token, close a form) a request reads them inside its transaction."""
    from flask import g
    from server import epochs
    from server.auth.models import Device
    _, token = _device(db, world.cadre)
    cadre_id = world.cadre.id
    epochs.current("auth")  # the test's clean start emptied the table: its counters are put back
    db.session.commit()
    db.session.remove()  # the connection goes back to the pool; the request takes it again
    with app.test_request_context("/"):
        db.session.connection()  # checkout: the counters are read
        db.session.execute(Device.__table__.update().where(Device.user_id == cadre_id)
                           .values(revoked_at=Device.__table__.c.created_at))  # the trigger moves `auth` on
        moved = db.session.scalar(db.select(CacheEpoch.value).where(CacheEpoch.name == "auth"))
        assert moved is not None and epochs.current("auth") == moved
        assert g.cache_epochs[1]["auth"] == moved
        db.session.rollback()
