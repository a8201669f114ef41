"""`flask backup DIR` / `flask restore DIR`: a consistent copy of the database and the attachments.

The database is copied first, in one snapshot (SQLite's online backup API; pg_dump's snapshot on
PostgreSQL), while the server keeps running. Attachments are content-addressed and never rewritten
(ATTACHMENT_DIR/ab/cd/<sha256>, written before the row that names them is committed), so copying the
folder after the snapshot gives every file the snapshot names; files of later submissions come along
harmlessly. DIR holds manifest.json, database.sqlite3 or database.pgdump, and attachments/."""
import json
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, text

from .extensions import db

FORMAT = 1
TMP_PREFIX = ".tmp-"


class BackupError(Exception):
    """A backup or restore that cannot be done (the message says why)."""


def _libpq_url() -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def _attachment_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file() and not p.name.startswith(TMP_PREFIX))


def _copy_files(source: Path, target: Path) -> int:
    """Copy every stored file (not half-written temporaries); a file already there with its size is kept."""
    files = _attachment_files(source)
    for relative in files:
        destination = target / relative
        if destination.exists() and destination.stat().st_size == (source / relative).stat().st_size:
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / relative, destination)
    return len(files)


def _revision() -> str | None:
    if not inspect(db.engine).has_table("alembic_version"):
        return None
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def make_backup(directory: Path) -> dict:
    """Snapshot the database, then copy the attachments, into an empty (or new) DIRECTORY."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty; back up into a new folder.")
    directory.mkdir(parents=True, exist_ok=True)
    engine = db.engine.dialect.name
    started = datetime.now(timezone.utc).isoformat()
    if engine == "sqlite":
        database = "database.sqlite3"
        target = sqlite3.connect(directory / database)
        try:
            raw = db.engine.raw_connection()
            try:
                raw.driver_connection.backup(target)  # one consistent snapshot, writers may go on
            finally:
                raw.close()
        finally:
            target.close()
    elif engine == "postgresql":
        database = "database.pgdump"
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(directory / database),
              "--dbname", _libpq_url()])
    else:
        raise BackupError(f"No backup for the {engine} database engine.")
    files = _copy_files(Path(current_app.config["ATTACHMENT_DIR"]), directory / "attachments")
    manifest = {"format": FORMAT, "engine": engine, "database": database, "revision": _revision(),
                "started_at": started, "finished_at": datetime.now(timezone.utc).isoformat(), "files": files}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _has_data() -> bool:
    tables = set(inspect(db.engine).get_table_names())
    with db.engine.connect() as conn:
        for table in ("users", "submissions", "households"):
            if table in tables and conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first():
                return True
    return False


def restore_backup(directory: Path, force: bool = False) -> dict:
    """Load DIRECTORY's database into this instance's database and its files into ATTACHMENT_DIR."""
    directory = Path(directory)
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{directory} holds no backup manifest: {exc}") from exc
    engine = db.engine.dialect.name
    if manifest.get("engine") != engine:
        raise BackupError(f"This backup is of a {manifest.get('engine')} database; this instance uses {engine}.")
    if _has_data() and not force:
        raise BackupError("This instance's database already has data; restore into an empty one (or --force).")
    db.session.remove()
    dump = directory / manifest["database"]
    if engine == "sqlite":
        source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
        try:
            raw = db.engine.raw_connection()
            try:
                source.backup(raw.driver_connection)
            finally:
                raw.close()
        finally:
            source.close()
    else:
        db.engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", "--dbname", _libpq_url(), str(dump)])
    db.engine.dispose()
    root = Path(current_app.config["ATTACHMENT_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    files = _copy_files(directory / "attachments", root)
    return {**manifest, "files": files}
