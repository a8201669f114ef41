"""Coverage benchmark: bulk-load a county with SQL, then time the API in-process (Flask test client) and,
with --http, over HTTP through gunicorn (2 workers x 4 threads, gzip accepted as browsers do).

    .venv/bin/python bench/coverage.py                      # full size on SQLite (/tmp/lianhu-bench-coverage.db)
    .venv/bin/python bench/coverage.py --households 20000 --villages 40 --cadres 400 --visits 100000   # quick
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lianhu_bench_coverage .venv/bin/python bench/coverage.py

Defaults: 1,000,000 households in 2,000 villages of 10 townships, 20,000 cadres, 5,000,000 visits over
two years. The database is reused when it already holds a data set of that size (--reload to rebuild).
Targets (issue 16): every county-wide report and the 100,000-household map <= 0.3 s over HTTP; one
village or cadre <= 50 ms; CSV export >= 100,000 rows/s over HTTP with flat memory. Each figure is the
best and the median of --repeat runs of the same request.
"""
import argparse
import os
import platform
import random
import resource
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

UTC = timezone.utc
END = datetime(2026, 11, 20, tzinfo=UTC)  # the data set's last day (visits over the two years before)
GEO = (("verified", 85), ("anchored", 5), ("far", 4), ("low_accuracy", 3), ("no_fix", 2), ("suspect", 1))
CATEGORIES = (("ordinary", 80), ("low_income", 10), ("elderly_alone", 5), ("disabled", 3), ("left_behind", 2))
SUBMISSION_COLUMNS = ("id", "instance_id", "form_version_id", "kind", "household_id", "area_id", "submitter_id",
                      "source", "captured_at", "received_at", "lat", "lon", "altitude", "accuracy", "is_mock",
                      "geo_status", "geo_distance_m", "answers", "content_hash", "review_state", "is_current",
                      "is_self_rated")


def weighted(pairs):
    return [name for name, weight in pairs for _ in range(weight)]


class Loader:
    """Writes rows with executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, engine):
        self.engine, self.pg = engine, engine.dialect.name == "postgresql"

    def stamp(self, moment):
        if self.pg:
            return moment.isoformat()
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")

    def put(self, table, columns, rows):
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.pg:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                batch = []
                for row in rows:
                    batch.append(row)
                    if len(batch) == 50_000:
                        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
                        batch = []
                if batch:
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
            raw.commit()
        finally:
            raw.close()


def load(app, args):
    """Bulk-load areas, users, households, assignments and visits; returns nothing, prints timings."""
    from server.extensions import db
    from server.submissions.models import Submission
    from server.surveys.services import current_version, publish_builtins

    rng = random.Random(42)
    engine = db.engine
    loader = Loader(engine)
    t0 = time.perf_counter()
    publish_builtins()
    db.session.commit()
    form_version_id = current_version("visit").id
    towns, villages = args.townships, args.villages
    per_town = villages // towns
    village_ids = list(range(towns + 2, towns + 2 + villages))
    areas = [(1, None, "B", "基准县", "county", "/1/")]
    areas += [(2 + t, 1, f"B-{t:02d}", f"镇{t}", "township", f"/1/{2 + t}/") for t in range(towns)]
    for v, area_id in enumerate(village_ids):
        town = 2 + min(v // per_town, towns - 1)
        areas.append((area_id, town, f"B-{town - 2:02d}-{v:04d}", f"村{v}", "village", f"/1/{town}/{area_id}/"))
    now = loader.stamp(END)
    loader.put("areas", ("id", "parent_id", "code", "name", "level", "path", "created_at"),
               (a + (now,) for a in areas))
    hashed = "pbkdf2:sha256:1000$bench$0"
    users = [(1, "bench-admin", "admin", None), (2, "bench-manager", "manager", 2)]
    per_village = args.cadres // villages
    cadre_ids = list(range(3, 3 + args.cadres))
    users += [(c, f"bench-cadre-{c}", "cadre", village_ids[min(i // per_village, villages - 1)])
              for i, c in enumerate(cadre_ids)]
    loader.put("users", ("id", "username", "display_name", "password_hash", "role", "area_id", "is_party_member",
                         "is_active", "created_at"),
               ((u, name, name, hashed, role, area, False, True, now) for u, name, role, area in users))
    n = args.households
    per_hh_village = n // villages
    village_of = [village_ids[min(h // per_hh_village, villages - 1)] for h in range(n)]
    cadre_of = []
    for h in range(n):
        v = min(h // per_hh_village, villages - 1)
        cadre_of.append(cadre_ids[min(v * per_village + (h % per_hh_village) % per_village, len(cadre_ids) - 1)])
    categories = weighted(CATEGORIES)
    coords = [(29.0 + rng.random() * 0.6, 121.2 + rng.random() * 0.6) for _ in range(n)]
    print(f"  areas, users: {time.perf_counter() - t0:.1f}s", flush=True)

    # visits, in capture order (as they arrive); a first pass finds each household's newest counted visit
    geo = weighted(GEO)
    start = END - timedelta(days=args.days)
    last = [None] * n
    per_day = args.visits / args.days

    def visits(emit=True):
        vr = random.Random(7)
        sid = 0
        for day in range(args.days):
            base = start + timedelta(days=day)
            count = int(per_day * (day + 1)) - int(per_day * day)
            for moment in sorted(base + timedelta(seconds=vr.randrange(86400)) for _ in range(count)):
                sid += 1
                h = vr.randrange(n)
                status = vr.choice(geo)
                rejected = vr.random() < 0.01
                current = vr.random() > 0.005
                other = vr.random() >= 0.95
                if not emit:
                    if status in ("verified", "anchored") and not rejected and current:
                        last[h] = moment
                    continue
                submitter = cadre_ids[sid % len(cadre_ids)] if other else cadre_of[h]
                lat, lon = coords[h]
                captured = loader.stamp(moment)
                answers = ('{"household":"H%07d","location":"%.6f %.6f 0 %d","visit_type":"home",'
                           '"people_met":"head spouse","concerns":"","demands":[]}' % (h + 1, lat, lon, 5))
                yield (sid, f"uuid:bench-{sid}", form_version_id, "visit", h + 1, village_of[h], submitter,
                       "openrosa", captured, captured, lat, lon, 10.0, 5.0, False, status, 12.5, answers, "x" * 64,
                       "rejected" if rejected else "received", current, False)

    for _ in visits(emit=False):
        pass
    t1 = time.perf_counter()
    loader.put("households", ("id", "code", "area_id", "address", "head_name", "category", "lat", "lon",
                              "location_source", "is_active", "version", "last_counted_visit_at", "created_at",
                              "updated_at"),
               ((h + 1, f"H{h + 1:07d}", village_of[h], f"{h % 300 + 1}号", f"户主{h + 1}", rng.choice(categories),
                 coords[h][0], coords[h][1], "surveyed", rng.random() > 0.01, 1,
                 loader.stamp(last[h]) if last[h] else None, now, now) for h in range(n)))
    linked = loader.stamp(start - timedelta(days=30))
    relinked = start + timedelta(days=args.days // 2)

    def assignments():
        aid = 0
        for h in range(n):
            aid += 1
            if h % 50 == 0:  # 2% were relinked halfway: the old link is kept in history
                other = cadre_ids[(cadre_of[h] - cadre_ids[0] + 1) % len(cadre_ids)]
                yield (aid, h + 1, other, linked, loader.stamp(relinked))
                aid += 1
                yield (aid, h + 1, cadre_of[h], loader.stamp(relinked), None)
            else:
                yield (aid, h + 1, cadre_of[h], linked, None)
    loader.put("assignments", ("id", "household_id", "cadre_id", "valid_from", "valid_to"), assignments())
    print(f"  households and assignments: {time.perf_counter() - t1:.1f}s", flush=True)
    with engine.begin() as conn:  # build the submission indexes after the load (faster)
        for index in Submission.__table__.indexes:
            conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
    t1 = time.perf_counter()
    loader.put("submissions", SUBMISSION_COLUMNS, visits())
    print(f"  {args.visits:,} visits: {time.perf_counter() - t1:.1f}s", flush=True)
    with engine.begin() as conn:
        for index in Submission.__table__.indexes:
            index.create(conn)
    print(f"  submission indexes: {time.perf_counter() - t1:.1f}s", flush=True)
    summarise()
    with engine.begin() as conn:
        if loader.pg:
            for table in ("areas", "users", "households", "assignments", "submissions"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
        else:
            conn.execute(text("PRAGMA analysis_limit=2000"))
            conn.execute(text("ANALYZE"))
    if loader.pg:  # what autovacuum does in time: statistics, and a visibility map for index-only scans
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    print(f"loaded in {time.perf_counter() - t0:.1f}s", flush=True)


def summarise():
    """Fill the coverage summary from the loaded visits, then the per-village aggregates (what
    `flask coverage rebuild-summary` does)."""
    from server.coverage.summary import rebuild_summary
    from server.extensions import db
    t = time.perf_counter()
    rows = rebuild_summary()
    db.session.commit()
    print(f"  coverage summary: {rows:,} rows in {time.perf_counter() - t:.1f}s", flush=True)
    aggregate(db)


def aggregate(db):
    """Fill the per-village aggregates from the summary and the households."""
    from server.coverage.aggregates import rebuild_aggregates
    t = time.perf_counter()
    counts = rebuild_aggregates()
    db.session.commit()
    print(f"  coverage aggregates: {counts['area_keys']:,} village-period rows, {counts['area_households']:,} "
          f"village-category-month rows in {time.perf_counter() - t:.1f}s", flush=True)


def machine() -> str:
    """The commit and the machine, for the README table."""
    root = Path(__file__).resolve().parent.parent
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    return (f"commit {commit}{'+dirty' if dirty else ''}; {os.cpu_count()} cores ({cpu}); load {load:.1f}; "
            f"{python_speed()}")


def python_speed() -> str:
    """How fast this machine runs Python just now: a fixed pure-Python loop, best of 5 (18-19 ms on
    the development machine at its quickest). The same host ran it up to twice as slowly from one
    hour to the next, so figures taken at different times compare only through this."""
    import time
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(400_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - start)
    return f"python loop {best * 1000:.1f} ms"


def timed(client, path, headers, repeat=3, stream=False):
    """Best and median wall time of a GET (body read completely), status, body size, rows; the best CPU
    time of this process goes to timed.cpu (on SQLite the whole work: less disturbed by a busy machine)."""
    times, cpu, size, lines = [], [], 0, 0
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers, buffered=not stream)
        size = lines = 0
        for chunk in response.response:
            size += len(chunk)
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        response.close()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert response.status_code == 200, (path, response.status_code, response.get_data()[:300])
    timed.cpu = min(cpu)
    return min(times), statistics.median(times), size, lines


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pids) -> float:
    """CPU seconds (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICK


def postgres_backends(url):
    """A function listing the PostgreSQL backends of the bench database (none on SQLite)."""
    if not url or "postgres" not in url:
        return lambda: []
    import psycopg
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    name = plain.rsplit("/", 1)[1].split("?")[0]

    def pids():
        with psycopg.connect(plain) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                               "AND pid <> pg_backend_pid()", (name,))]
    return pids


class Http:
    """GETs against a gunicorn serving the bench database (gzip accepted, as browsers send); the server's
    CPU (gunicorn's processes and the database's backends) is measured per request."""

    def __init__(self, env):
        import requests
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        root = Path(__file__).resolve().parent.parent
        self.process = subprocess.Popen(
            [str(root / ".venv/bin/gunicorn"), "-w", "2", "-k", "gthread", "--threads", "4", "-b",
             f"127.0.0.1:{self.port}", "--timeout", "300", "--log-level", "warning", "wsgi:app"],
            cwd=root, env={**os.environ, **env})
        self.backends = postgres_backends(env.get("DATABASE_URL"))
        self.base, self.session = f"http://127.0.0.1:{self.port}", requests.Session()
        for _ in range(300):
            try:
                self.session.get(self.base + "/openrosa/formList", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        raise SystemExit("gunicorn did not start")

    def pids(self) -> list[int]:
        children = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        children.append(int(entry.name))
                except (FileNotFoundError, ProcessLookupError, IndexError):
                    pass
        return [self.process.pid, *children, *self.backends()]

    def timed(self, path, headers, repeat=3, gzip=True):
        """Best and median wall time to the last byte (not decompressed), bytes on the wire, lines; the
        server CPU seconds of each run go to self.cpu, the decompressed body of the last to self.body."""
        import zlib
        times, size, lines, self.cpu = [], 0, 0, []
        for _ in range(repeat):
            pids = self.pids()
            before, t = process_cpu_s(pids), time.perf_counter()
            response = self.session.get(self.base + path, stream=True,
                                        headers={**headers, "Accept-Encoding": "gzip" if gzip else "identity"})
            body = response.raw.read(decode_content=False)
            times.append(time.perf_counter() - t)
            self.cpu.append(process_cpu_s(pids) - before)
            assert response.status_code == 200, (path, response.status_code, body[:300])
            size = len(body)
            if response.headers.get("Content-Encoding") == "gzip":
                body = zlib.decompress(body, 31)
            lines, self.body = body.count(b"\n"), body
        self.times = times
        return min(times), statistics.median(times), size, lines

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def report(name, target, best, median, extra=""):
    verdict = "ok" if target is None or best <= target else "SLOW"
    target_text = f"target <= {target * 1000:.0f} ms" if target else ""
    print(f"{name:<48} best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms  {target_text:<20} {verdict} {extra}",
          flush=True)


def run(app, args, env):
    from server.auth.models import User
    from server.auth.services import issue_device
    from server.extensions import db

    client = app.test_client()
    with app.app_context():
        admin = db.session.get(User, 1)
        _, token = issue_device(admin, "bench")
        db.session.commit()
        village = db.session.execute(text("SELECT min(id) FROM areas WHERE level = 'village'")).scalar()
        cadre = db.session.execute(text("SELECT min(id) FROM users WHERE role = 'cadre'")).scalar()
        sizes = dict(db.session.execute(text(
            "SELECT a.id, count(*) FROM households h JOIN areas v ON v.id = h.area_id "
            "JOIN areas a ON a.id = v.parent_id GROUP BY a.id")).all())
    headers = {"Authorization": f"Bearer {token}"}
    town = max(sizes, key=sizes.get)
    q = args.period
    print(f"\nperiod {q}; township {town} holds {sizes[town]:,} households\n", flush=True)
    cases = [
        ("coverage by area, county (townships)", f"/api/v1/coverage?period={q}&area=1", 0.3),
        ("coverage per village, county", f"/api/v1/coverage?period={q}&area=1&level=village", 0.3),
        ("coverage per cadre, county", f"/api/v1/coverage?period={q}&area=1&by=cadre", 0.3),
        ("coverage, one village", f"/api/v1/coverage?period={q}&area={village}", 0.05),
        ("coverage, one cadre", f"/api/v1/coverage?period={q}&by=cadre&cadre={cadre}", 0.05),
        ("coverage per village, one township", f"/api/v1/coverage?period={q}&area={town}", None),
        ("unvisited households, county, page 1", f"/api/v1/coverage/households?period={q}&status=unvisited", None),
        ("overdue households, one village", f"/api/v1/coverage/households?period={q}&area={village}&status=overdue",
         0.05),
        # the map is cached per village after its first run: bench/map.py times it cold and changed too
        (f"map GeoJSON, township ({sizes[town]:,} households)", f"/api/v1/coverage/map.geojson?period={q}&area={town}",
         0.3 if sizes[town] <= 100_000 else None),
        (f"map GeoJSON, county ({sum(sizes.values()):,} households)", f"/api/v1/coverage/map.geojson?period={q}&area=1",
         0.3 if sum(sizes.values()) <= 100_000 else None),
        ("coverage per village, county, current quarter", "/api/v1/coverage?area=1&level=village", 0.3),
        ("coverage per village, county, from/to cutting months",
         f"/api/v1/coverage?from=2026-08-15&to=2026-10-14&area=1&level=village", 0.3),
    ]
    if args.cases:
        cases = [c for c in cases if any(part in c[0] for part in args.cases.split(","))]
    print(f"in-process (Flask test client), best / median of {args.repeat}", flush=True)
    for name, path, target in cases:
        best, median, size, _ = timed(client, path, headers, repeat=args.repeat)
        report(name, target, best, median, f"cpu {timed.cpu * 1000:7.1f} ms ({size / 1024:.0f} KiB)")
    http = Http(env) if args.http else None
    if http is not None:
        try:
            print(f"\nover HTTP (gunicorn 2 workers x 4 threads, gzip), best / median of {args.repeat}", flush=True)
            for name, path, target in cases:
                best, median, size, _ = http.timed(path, headers, repeat=args.repeat)
                report(name, target, best, median, f"server CPU {min(http.cpu) * 1000:.0f} / "
                       f"{statistics.median(http.cpu) * 1000:.0f} ms ({size / 1024:.0f} KiB on the wire)")
            if args.no_exports:
                return
            days = max(1, round(args.export_rows / (args.visits / args.days)))
            last_day = (END - timedelta(days=1)).date()
            path = (f"/api/v1/exports/submissions.csv?form=visit&from={last_day - timedelta(days=days - 1)}"
                    f"&to={last_day}")
            best, median, size, lines = http.timed(path, headers, repeat=1)
            rate = (lines - 1) / best
            print(f"{'CSV export of submissions, HTTP':<48} {lines - 1:,} rows in {best:.1f} s = {rate:,.0f} rows/s "
                  f"(target >= 100,000) {'ok' if rate >= 100_000 else 'SLOW'}; {size / 1e6:.0f} MB on the wire",
                  flush=True)
        finally:
            http.close()
        print()
    if args.no_exports:
        return

    # CSV export of ~1M submissions: from/to chosen to hold export_rows visits
    days = max(1, round(args.export_rows / (args.visits / args.days)))
    last_day = (END - timedelta(days=1)).date()
    first_day = last_day - timedelta(days=days - 1)
    path = f"/api/v1/exports/submissions.csv?form=visit&from={first_day}&to={last_day}"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best, median, size, lines = timed(client, path, headers, repeat=1, stream=True)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss
    rate = (lines - 1) / best
    print(f"{'CSV export of submissions, in-process':<48} {lines - 1:,} rows in {best:.1f} s = {rate:,.0f} rows/s "
          f"(target >= 100,000) {'ok' if rate >= 100_000 else 'SLOW'}; {size / 1e6:.0f} MB streamed; "
          f"peak RSS grew {grown / 1024:.0f} MiB", flush=True)
    path = f"/api/v1/exports/coverage.csv?period={q}&status=unvisited&area={town}"
    best, median, size, lines = timed(client, path, headers, repeat=1, stream=True)
    print(f"{'coverage CSV export, township unvisited':<48} {lines - 1:,} rows in {best:.2f} s", flush=True)


def upkeep_cost(app, n: int) -> None:
    """CPU per stored visit with and without the aggregates' upkeep (the summary's delta upsert and
    the triggers on households), on the loaded data set, n visits each through the lifecycle as
    ingest stores them, in a transaction rolled back at the end (PostgreSQL: this process plus the
    server backend's CPU)."""
    from contextlib import nullcontext
    from types import SimpleNamespace

    from server.coverage import summary
    from server.extensions import db
    from server.submissions import lifecycle
    from server.submissions.models import Submission
    from server.surveys.services import current_version

    with app.app_context():
        pg = db.engine.dialect.name == "postgresql"
        version = current_version("visit")
        households = db.session.execute(text("SELECT id, area_id FROM households WHERE is_active "
                                             "ORDER BY id")).all()
        backend = db.session.scalar(text("SELECT pg_backend_pid()")) if pg else None
        rng = random.Random(5)
        real = summary.upkeep

        def backend_cpu():
            if backend is None:
                return 0.0
            fields = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        def store(count, tag):
            cpu, sid = [], db.session.scalar(text("SELECT max(id) FROM submissions"))
            for i in range(count):
                h = rng.choice(households)
                moment = END - timedelta(minutes=rng.randrange(60 * 24 * 40))
                s = Submission(instance_id=f"uuid:upkeep-{tag}-{i}-{sid}", form_version_id=version.id, kind="visit",
                               household_id=h.id, area_id=h.area_id, submitter_id=3, source="openrosa",
                               captured_at=moment, received_at=moment, geo_status="verified", answers={},
                               content_hash="x" * 64)
                db.session.add(s)
                t, b = time.process_time(), backend_cpu()
                db.session.flush()
                lifecycle.record_stored(SimpleNamespace(id=3), [lifecycle.Stored(s, "visit", version.version)])
                db.session.flush()
                cpu.append(time.process_time() - t + backend_cpu() - b)
            return statistics.median(cpu) * 1000, statistics.mean(cpu) * 1000

        store(50, "warm")
        with_upkeep = store(n, "on")
        summary.upkeep = lambda ids, added=None: nullcontext()
        if pg:
            db.session.execute(text("ALTER TABLE households DISABLE TRIGGER coverage_households_upkeep"))
        else:
            db.session.execute(text("DROP TRIGGER coverage_households_insert"))
            db.session.execute(text("DROP TRIGGER coverage_households_update"))
        without = store(n, "off")
        summary.upkeep = real
        db.session.rollback()
        print(f"upkeep: {n:,} single-visit stores each way, CPU ms per visit (median / mean): with the "
              f"aggregates {with_upkeep[0]:.2f} / {with_upkeep[1]:.2f}, without {without[0]:.2f} / {without[1]:.2f}",
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--villages", type=int, default=2_000)
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--cadres", type=int, default=20_000)
    parser.add_argument("--visits", type=int, default=5_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--export-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", default="/tmp/lianhu-bench-coverage.db")
    parser.add_argument("--reload", action="store_true", help="rebuild the data set even if present")
    parser.add_argument("--load-only", action="store_true", help="load the data set, time nothing")
    parser.add_argument("--http", action="store_true", help="also time every request over HTTP through gunicorn")
    parser.add_argument("--cases", help="time only the requests whose name contains one of these (comma-separated)")
    parser.add_argument("--no-exports", action="store_true", help="time the reports only, not the CSV exports")
    parser.add_argument("--upkeep", type=int, default=0, help="measure the aggregates' upkeep on N stored visits")
    args = parser.parse_args()
    args.export_rows = min(args.export_rows, args.visits)

    from flask_migrate import upgrade
    from server import create_app
    from server.config import Config, database_url
    from server.extensions import db

    url = os.environ.get("DATABASE_URL")
    if url and "postgres" in url and url.rstrip("/").rsplit("/", 1)[-1] in ("test", "lianhu_ci", "postgres"):
        sys.exit("Use a database of your own for the bench (it is dropped and rebuilt).")

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{args.sqlite}") if url else f"sqlite:///{args.sqlite}"
        RATELIMIT_ENABLED = False
        TESTING = True

    app = create_app(BenchConfig)
    with app.app_context():
        engine = db.engine
        print(machine(), flush=True)
        print(f"database: {engine.dialect.name}; {args.households:,} households, {args.villages:,} villages, "
              f"{args.cadres:,} cadres, {args.visits:,} visits over {args.days} days", flush=True)
        present = 0
        try:
            present = db.session.execute(text("SELECT count(*) FROM households")).scalar()
            visits = db.session.execute(text("SELECT max(id) FROM submissions")).scalar() or 0
        except Exception:  # no schema yet
            db.session.rollback()
            visits = 0
        if args.reload or present != args.households or visits != args.visits:
            db.session.remove()
            if engine.dialect.name == "postgresql":
                with engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            else:
                engine.dispose()
                for suffix in ("", "-wal", "-shm"):
                    Path(args.sqlite + suffix).unlink(missing_ok=True)
            upgrade(directory=app.extensions["migrate"].directory)
            load(app, args)
        else:
            print("reusing the loaded data set", flush=True)
            db.session.remove()  # newer migrations (the aggregates are built by theirs)
            upgrade(directory=app.extensions["migrate"].directory)
            if not db.session.execute(text("SELECT count(*) FROM coverage_months")).scalar():
                summarise()
            elif not db.session.execute(text("SELECT count(*) FROM coverage_area_households")).scalar():
                aggregate(db)
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
    env = {"DATABASE_URL": url or f"sqlite:///{args.sqlite}", "SECRET_KEY": "bench", "LIANHU_ENV": "production",
           "LIANHU_INSTANCE": "/tmp/lianhu-bench-instance", "ATTACHMENT_DIR": "/tmp/lianhu-bench-instance/attachments"}
    if args.upkeep:
        upkeep_cost(app, args.upkeep)
    if not args.load_only:
        run(app, args, env)


if __name__ == "__main__":
    main()
