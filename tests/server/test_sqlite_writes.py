"""SQLite writers queue on a file lock beside the database (server/sqlite_writes.py): held from a
transaction's first write until its connection goes back to the pool, never leaked, and writers in
many threads at once all get through."""
import fcntl
import os
import threading

import pytest
from sqlalchemy import text

from server.extensions import db as _db


@pytest.fixture
def lock_path(app):
    if _db.engine.dialect.name != "sqlite":
        pytest.skip("the write queue is SQLite's")
    return _db.engine.url.database + ".writers"


def _free(path) -> bool:
    """Whether another process could take the lock now (a fresh descriptor, non-blocking)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _rename(db, area, name):
    db.session.execute(text("UPDATE areas SET name = :name WHERE id = :id"), {"name": name, "id": area.id})


def test_the_lock_is_held_from_the_first_write_to_the_commit(db, lock_path, make_area):
    village = make_area("前村")
    assert _free(lock_path)  # committed and back in the pool
    db.session.execute(text("SELECT count(*) FROM areas"))
    assert _free(lock_path)  # reads take nothing
    _rename(db, village, "前村二")
    assert not _free(lock_path)
    db.session.commit()
    assert _free(lock_path)


def test_a_rollback_lets_it_go(db, lock_path, make_area):
    village = make_area("后村")
    _rename(db, village, "后村二")
    assert not _free(lock_path)
    db.session.rollback()
    assert _free(lock_path)


def test_a_connection_kept_across_commits_lets_it_go_at_its_next_statement(db, lock_path):
    with _db.engine.connect() as conn:
        conn.execute(text("CREATE TEMP TABLE scratch (n INTEGER)"))
        assert not _free(lock_path)
        conn.commit()
        conn.execute(text("SELECT 1"))
        assert _free(lock_path)
        conn.execute(text("INSERT INTO scratch VALUES (1)"))
        assert not _free(lock_path)
    assert _free(lock_path)


def test_writers_in_many_threads_all_get_through(app, db, lock_path, make_area):
    village = make_area("并发村")
    db.session.commit()
    village_id = village.id  # read here: the threads touching the expired object would share this session
    errors, per_thread = [], 15

    def write(k):
        with app.app_context():
            try:
                for i in range(per_thread):
                    _db.session.execute(text("UPDATE areas SET name = :name WHERE id = :id"),
                                        {"name": f"并发村{k}-{i}", "id": village_id})
                    _db.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=write, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert not any(t.is_alive() for t in threads)
    assert _free(lock_path)
