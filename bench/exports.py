"""Export benchmark: a form's submissions.csv.zip and its OData feed over N visits with repeats, memory watched.

    .venv/bin/python bench/exports.py --n 20000                 # quick (about a minute on 2 cores)
    .venv/bin/python bench/exports.py --n 1000000               # full size (the acceptance figure)
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lianhu_bench_exports .venv/bin/python bench/exports.py --n 20000

Bulk-loads N visit submissions (each with two demands in Chinese, i.e. 2N repeat rows) into a fresh
SQLite file (or the given PostgreSQL database, which is emptied), then streams through the Flask client:
the zip (main CSV + demands CSV), the OData Submissions set page by page (following nextLink) and the
OData demands set's first pages. Prints rows/s and the process's resident memory while streaming: flat
memory means the RSS does not grow with N."""
import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from coverage import Loader  # noqa: E402  (bench/coverage.py's bulk writer)
from sqlalchemy import text  # noqa: E402

UTC = timezone.utc
START = datetime(2026, 7, 1, tzinfo=UTC)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def load(app, n, households=1000):
    from server.extensions import db
    from server.surveys.services import current_version, publish_builtins
    publish_builtins()
    db.session.commit()
    version_id = current_version("visit").id
    loader = Loader(db.engine)
    now = loader.stamp(START)
    loader.put("areas", ("id", "parent_id", "code", "name", "level", "path", "created_at"),
               [(1, None, "B", "基准县", "county", "/1/", now), (2, 1, "B-01", "基准村", "village", "/1/2/", now)])
    loader.put("users", ("id", "username", "display_name", "password_hash", "role", "area_id", "is_party_member",
                         "is_active", "created_at"),
               [(1, "bench-admin", "bench-admin", "x", "admin", None, False, True, now),
                (2, "bench-cadre", "bench-cadre", "x", "cadre", 2, False, True, now)])
    loader.put("households", ("id", "code", "area_id", "address", "head_name", "category", "lat", "lon",
                              "location_source", "is_active", "version", "created_at", "updated_at"),
               ((h, f"H{h:07d}", 2, f"{h}号", f"户主{h}", "ordinary", 29.3, 121.4, "surveyed", True, 1, now, now)
                for h in range(1, households + 1)))

    def rows():
        for sid in range(1, n + 1):
            moment = loader.stamp(START + timedelta(seconds=sid * 7))
            answers = ('{"household":"H%07d","location":"29.300001 121.400001 35.5 5","visit_type":"routine",'
                       '"people_met":"head spouse","concerns":"路面破损，需要修补","has_demands":"yes",'
                       '"demands":[{"category":"infrastructure","text":"修路%d","is_micro_wish":"no"},'
                       '{"category":"medical","text":"看病难","is_micro_wish":"yes"}]}' % (sid % households + 1, sid))
            yield (sid, f"uuid:bench-{sid}", version_id, "visit", sid % households + 1, 2, 2, "openrosa", moment,
                   moment, 29.3, 121.4, 35.5, 5.0, False, "verified", 3.2, answers, "x" * 64, "received", True,
                   False)
    columns = ("id", "instance_id", "form_version_id", "kind", "household_id", "area_id", "submitter_id", "source",
               "captured_at", "received_at", "lat", "lon", "altitude", "accuracy", "is_mock", "geo_status",
               "geo_distance_m", "answers", "content_hash", "review_state", "is_current", "is_self_rated")
    t = time.perf_counter()
    loader.put("submissions", columns, rows())
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    print(f"loaded {n:,} submissions in {time.perf_counter() - t:.1f} s", flush=True)


def stream(client, path, headers, marks=5):
    """Read a streamed GET to the end: seconds, bytes, and the RSS (MiB) at a few points along the way."""
    t, size, rss = time.perf_counter(), 0, [round(rss_mib())]
    response = client.get(path, headers=headers, buffered=False)
    assert response.status_code == 200, (path, response.status_code)
    sample = t
    for chunk in response.response:
        size += len(chunk)
        if time.perf_counter() - sample > 0.5:
            rss.append(round(rss_mib()))
            sample = time.perf_counter()
    response.close()
    rss.append(round(rss_mib()))
    step = max(1, len(rss) // marks)
    return time.perf_counter() - t, size, rss[::step] + ([rss[-1]] if (len(rss) - 1) % step else [])


def odata_pages(client, path, headers, limit=None):
    """Follow nextLink: seconds, entities, pages, RSS before and after."""
    import json
    t, rows, pages, before = time.perf_counter(), 0, 0, rss_mib()
    while path and (limit is None or pages < limit):
        response = client.get(path, headers=headers, base_url="https://localhost")
        assert response.status_code == 200, response.get_data()[:300]
        body = json.loads(response.get_data())
        rows += len(body["value"])
        pages += 1
        path = body.get("@odata.nextLink")
    return time.perf_counter() - t, rows, pages, before, rss_mib()


def load_line() -> str:
    return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def figure(name, rows, seconds, extra=""):
    best, median = min(seconds), statistics.median(seconds)
    verdict = "ok" if rows / best >= 100_000 else "MISSED"
    print(f"{name:<40} {rows:,} rows: best {rows / best:9,.0f} rows/s ({best:.2f} s), median {rows / median:9,.0f} "
          f"rows/s  target >= 100,000 {verdict}  {extra}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="visit submissions to load (1,000,000 for full size)")
    parser.add_argument("--repeat-pages", type=int, default=20, help="pages of the demands set to read")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each export (best and median)")
    parser.add_argument("--sqlite", help="keep the SQLite data set in this file, reused when it holds --n")
    parser.add_argument("--http", action="store_true", help="also over HTTP through gunicorn 2x4 (gzip accepted)")
    parser.add_argument("--no-odata", action="store_true", help="skip the OData feed")
    parser.add_argument("--load-only", action="store_true", help="load the data set, time nothing")
    parser.add_argument("--http-only", action="store_true", help="only over HTTP")
    parser.add_argument("--codes-only", action="store_true", help="skip the labels=zh variants")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from coverage import Http, machine
    from server import create_app
    from server.auth.models import User
    from server.auth.services import issue_device
    from server.config import Config, database_url
    from server.extensions import db

    url = os.environ.get("DATABASE_URL")
    if url and url.rstrip("/").rsplit("/", 1)[-1] in ("test", "lianhu_ci", "postgres"):
        sys.exit("Use a database of your own for the bench (it is emptied).")
    path = args.sqlite or os.path.join(tempfile.mkdtemp(prefix=f"lianhu-bench-exports-{os.getpid()}-"), "bench.db")

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url(url) if url else f"sqlite:///{path}"
        RATELIMIT_ENABLED = False
        TESTING = True

    app = create_app(BenchConfig)
    with app.app_context():
        try:
            present = db.session.execute(text("SELECT count(*) FROM submissions")).scalar()
        except Exception:  # no schema yet
            db.session.rollback()
            present = None
        if present != args.n:
            db.session.remove()
            if db.engine.dialect.name == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            upgrade(directory=app.extensions["migrate"].directory)
            load(app, args.n)
        else:
            print("reusing the loaded data set", flush=True)
        _, token = issue_device(db.session.get(User, 1), "bench")
        db.session.commit()
        print(machine(), flush=True)
    if args.load_only:
        return
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    print(f"database: {'postgresql' if url else 'sqlite'}; "
          f"{args.n:,} submissions, {2 * args.n:,} demands; RSS at start {rss_mib():.0f} MiB", flush=True)
    rows = 3 * args.n
    exports = [("zip, codes", "/api/v1/forms/visit/submissions.csv.zip", rows),
               ("zip, labels=zh", "/api/v1/forms/visit/submissions.csv.zip?labels=zh", rows),
               ("submissions.csv, codes", "/api/v1/exports/submissions.csv?form=visit", args.n),
               ("submissions.csv, labels=zh", "/api/v1/exports/submissions.csv?form=visit&labels=zh", args.n)]
    if args.codes_only:
        exports = [e for e in exports if "labels" not in e[1]]
    print(f"\nin-process (Flask client, streamed, not compressed), {args.repeat} runs; {load_line()}", flush=True)
    for name, export, count in [] if args.http_only else exports:
        seconds, marks = [], []
        for _ in range(args.repeat):
            with app.app_context():
                took, size, rss = stream(client, export, headers)
            seconds.append(took)
            marks = rss
        figure(name, count, seconds, f"{size / 1e6:.1f} MB; RSS along the last stream {marks} MiB")
    if args.http or args.http_only:
        env = {"DATABASE_URL": url or f"sqlite:///{path}", "SECRET_KEY": "bench", "LIANHU_ENV": "production",
               "LIANHU_INSTANCE": "/tmp/lianhu-bench-instance",
               "ATTACHMENT_DIR": "/tmp/lianhu-bench-instance/attachments"}
        http = Http(env)
        try:
            http.timed(exports[0][1] + "?from=2026-07-01&to=2026-07-01", headers, repeat=2)  # warm both workers
            print(f"\nover HTTP (gunicorn 2 workers x 4 threads, gzip accepted), {args.repeat} runs; server cpu "
                  f"is gunicorn's and the database's; {load_line()}", flush=True)
            for name, export, count in exports:
                best, median, size, _ = http.timed(export, headers, repeat=args.repeat)
                cpu = min(http.cpu)
                figure(name + ", HTTP", count, http.times,
                       f"{size / 1e6:.1f} MB on the wire; server cpu {cpu:.2f} s = {count / cpu:,.0f} rows per cpu-s")
            print(load_line(), flush=True)
        finally:
            http.close()
    if args.no_odata:
        return
    with app.app_context():
        seconds, count, pages, before, after = odata_pages(client, "/api/v1/forms/visit.svc/Submissions", headers)
    print(f"OData Submissions: {count:,} entities in {pages} pages, {seconds:.1f} s = {count / seconds:,.0f}/s; "
          f"RSS {before:.0f} -> {after:.0f} MiB", flush=True)
    with app.app_context():
        seconds, count, pages, before, after = odata_pages(client, "/api/v1/forms/visit.svc/Submissions.demands",
                                                           headers, limit=args.repeat_pages)
    print(f"OData Submissions.demands: first {count:,} entities in {pages} pages, {seconds:.1f} s "
          f"({seconds / pages * 1000:.0f} ms/page); RSS {before:.0f} -> {after:.0f} MiB", flush=True)


if __name__ == "__main__":
    try:
        main()
    finally:  # the SQLite files of this run (not a kept --sqlite file)
        import glob
        import shutil
        for folder in glob.glob(os.path.join(tempfile.gettempdir(), f"lianhu-bench-exports-{os.getpid()}-*")):
            shutil.rmtree(folder, ignore_errors=True)
