"""One writer at a time on a SQLite file, queued by the kernel instead of SQLite's busy handler.

SQLite lets one connection write at a time. A second writer that finds the file locked sleeps in
SQLite's busy handler (1, 2, 5, 10, 15, 20, 25... ms) and tries again, so with several devices
syncing at once (gunicorn's workers and threads) most of a request's time is spent asleep while the
lock is already free: four clients stored no more OpenRosa submissions per second than one.

Here each connection takes a process-wide lock, then an exclusive flock(2) on a file beside the
database, just before its first write (the statement before which pysqlite opens its transaction),
and lets both go when the connection goes back to the pool (a session's commit or rollback
returns it), or at its next statement once its transaction has ended. A waiting writer is woken the moment the lock is free. SQLite's own lock still guards the
data: this only orders the writers of this app, and a writer outside it (the sqlite3 shell, a
backup) is waited for as before.
"""
import fcntl
import os
import threading

from sqlalchemy import event

#: statements before which pysqlite begins a transaction (and SQLite takes its write lock)
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN", "SAVEPOIN")
_HELD = "lianhu_write_lock"


class WriteLock:
    """A process-wide RLock plus an flock on `path`, taken by one connection at a time."""

    def __init__(self, path: str):
        self.path = path
        self._local = threading.RLock()
        self._depth = 0  # how often this process's holder took it (a thread may write on two connections)
        self._fd = None
        self._pid = None

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked worker opens its own
            self._fd, self._pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd

    def acquire(self) -> None:
        self._local.acquire()
        if self._depth == 0:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX)
            except BaseException:
                self._local.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._local.release()


def install(engine, database_path: str) -> WriteLock | None:
    """Order this engine's writers through a WriteLock beside the database file (not for :memory:)."""
    if not database_path or database_path == ":memory:" or database_path.startswith("file::memory:"):
        return None
    lock = WriteLock(database_path + ".writers")

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn, _cursor, statement, _params, _context, _many):
        info, in_transaction = conn.connection.info, conn.connection.dbapi_connection.in_transaction
        if info.get(_HELD) and not in_transaction:  # committed since, the connection kept: let go
            info.pop(_HELD)
            lock.release()
        if info.get(_HELD) or in_transaction or not statement.lstrip()[:8].upper().startswith(WRITES):
            return  # already held; or a transaction this lock did not see begin; or a read
        lock.acquire()
        info[_HELD] = True

    def release(dbapi_connection, record) -> None:
        if record is not None and record.info.pop(_HELD, False):
            lock.release()

    @event.listens_for(engine.pool, "checkin")
    def checkin(dbapi_connection, record):
        release(dbapi_connection, record)

    @event.listens_for(engine.pool, "reset")
    def reset(dbapi_connection, record, _state=None):
        release(dbapi_connection, record)

    return lock
