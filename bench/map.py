"""Map and list-page benchmark on a data set loaded by bench/coverage.py: the coverage map as GeoJSON
(map.geojson, DESIGN section 6) and in the compact form the map page loads (map.json), and the
unvisited / overdue lists page by page, in-process and over HTTP through gunicorn 2x4.

    .venv/bin/python bench/coverage.py --households 100000 --villages 200 --cadres 2000 --visits 500000 \\
        --sqlite /tmp/lianhu-bench-map.db --load-only          # once
    .venv/bin/python bench/map.py --sqlite /tmp/lianhu-bench-map.db --http
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lianhu_bench_map .venv/bin/python bench/map.py --http

Each figure is the best and the median of --repeat runs of the same request: wall time to the last
byte, the CPU of this process (in-process) or of the server (gunicorn's processes and the database's
backends, over HTTP), and the bytes. Target (issue 16): the 100,000-household map <= 0.3 s over HTTP.

Admins' and managers' maps are cached per village in each worker (coverage.map_cache), so each map
is timed three ways: "cold" (every village's epoch moved on before each run, as if each had changed:
the whole map is read), "1% changed" (the epochs of 1% of the villages moved on before each run: a
field day's few new visits), and "cached" (nothing changed since the last run).
The load average is printed next to each group: on a shared machine wall times grow with it.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from coverage import Http, machine  # noqa: E402  (bench/coverage.py: gunicorn runner, commit and machine)
from sqlalchemy import text  # noqa: E402


def in_process(client, path, headers, repeat, before=None):
    """Best and median wall time, best CPU time of this process, bytes (gzip accepted: what a browser gets);
    before() runs ahead of each run, untimed."""
    times, cpu, size = [], [], 0
    for _ in range(repeat):
        if before is not None:
            before()
        t, c = time.perf_counter(), time.process_time()
        response = client.get(path, headers={**headers, "Accept-Encoding": "gzip"})
        size = len(response.get_data())
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert response.status_code == 200, (path, response.status_code, response.get_data()[:300])
    return min(times), statistics.median(times), min(cpu), size


def line(name, best, median, cpu, size, target=None):
    verdict = "" if target is None else ("ok" if best <= target else "MISSED")
    goal = f"target <= {target * 1000:.0f} ms" if target else ""
    print(f"{name:<44} best {best * 1000:7.0f} ms  median {median * 1000:7.0f} ms  cpu {cpu * 1000:6.0f} ms  "
          f"{size / 1e6:6.2f} MB  {goal:<18} {verdict}", flush=True)


def bump(app, share: float, seed=[0]) -> None:
    """Move on the map epochs of this share of the villages (all of them: 1.0), as a visit would."""
    from server.extensions import db
    with app.app_context():
        seed[0] += 1
        if share >= 1:
            db.session.execute(text("UPDATE coverage_map_epochs SET value = value + 1"))
        else:
            every = max(1, round(1 / share))
            db.session.execute(text("UPDATE coverage_map_epochs SET value = value + 1 "
                                    "WHERE (area_id + :seed) % :every = 0"), {"seed": seed[0], "every": every})
        db.session.commit()


def load() -> str:
    return "load " + " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sqlite", default="/tmp/lianhu-bench-coverage.db")
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--http", action="store_true", help="also over HTTP through gunicorn 2x4")
    parser.add_argument("--http-only", action="store_true", help="only over HTTP")
    parser.add_argument("--cases", help="time only the requests whose name contains one of these (comma-separated)")
    args = parser.parse_args()

    from server import create_app
    from server.auth.models import User
    from server.auth.services import issue_device
    from server.config import Config, database_url
    from server.extensions import db

    url = os.environ.get("DATABASE_URL")

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url(url) if url else f"sqlite:///{args.sqlite}"
        TESTING = True

    app = create_app(BenchConfig)
    with app.app_context():
        households = db.session.execute(text("SELECT count(*) FROM households")).scalar()
        if not households:
            sys.exit("No data set: load one with bench/coverage.py --load-only first.")
        _, token = issue_device(db.session.get(User, 1), "bench-map")
        db.session.commit()
        town = db.session.execute(text(
            "SELECT a.id FROM households h JOIN areas v ON v.id = h.area_id JOIN areas a ON a.id = v.parent_id "
            "GROUP BY a.id ORDER BY count(*) DESC LIMIT 1")).scalar()
        print(machine(), flush=True)
        print(f"database: {db.engine.dialect.name}; {households:,} households; period {args.period}", flush=True)
    headers = {"Authorization": f"Bearer {token}"}
    q = args.period
    target = 0.3 if households <= 100_000 else None
    maps = [
        (f"map.geojson, county ({households:,})", f"/api/v1/coverage/map.geojson?period={q}&area=1", target),
        (f"map.json (compact), county ({households:,})", f"/api/v1/coverage/map.json?period={q}&area=1", target),
        ("map.geojson, largest township", f"/api/v1/coverage/map.geojson?period={q}&area={town}", None),
        ("map.json (compact), largest township", f"/api/v1/coverage/map.json?period={q}&area={town}", None),
    ]
    cases = []
    for name, path, goal in maps:
        for state, share in (("cold", 1.0), ("1% changed", 0.01), ("cached", 0)):
            cases.append((f"{name}, {state}", path, goal, share))
    for status in ("unvisited", "overdue"):
        for page in (1, 2, 3):
            cases.append((f"{status} list, county, page {page}",
                          f"/api/v1/coverage/households?period={q}&status={status}&page={page}&page_size=50", None, 0))
    if args.cases:
        cases = [c for c in cases if any(part in c[0] for part in args.cases.split(","))]
    if not args.http_only:
        client = app.test_client()
        print(f"\nin-process (Flask test client, gzip accepted), best / median of {args.repeat}; {load()}", flush=True)
        for name, path, goal, share in cases:
            client.get(path, headers=headers)  # cached for the runs that change nothing
            line(name, *in_process(client, path, headers, args.repeat, lambda: bump(app, share) if share else None),
                 goal)
    if args.http or args.http_only:
        env = {"DATABASE_URL": url or f"sqlite:///{args.sqlite}", "SECRET_KEY": "bench", "LIANHU_ENV": "production",
               "LIANHU_INSTANCE": "/tmp/lianhu-bench-instance",
               "ATTACHMENT_DIR": "/tmp/lianhu-bench-instance/attachments"}
        http = Http(env)
        try:
            for name, path, _, _ in cases:  # warm both workers (imports, pools, form and map caches)
                http.timed(path, headers, repeat=3)
            print(f"\nover HTTP (gunicorn 2 workers x 4 threads, gzip), best / median of {args.repeat}; "
                  f"cpu: the server's best; {load()}", flush=True)
            for name, path, goal, share in cases:
                times, cpu = [], []
                for _ in range(args.repeat):  # both workers cached when nothing changes
                    for _ in range(2 if not share else 1):
                        bump(app, share) if share else None
                        best, _, size, _ = http.timed(path, headers, repeat=1)
                    times.append(best)
                    cpu.append(min(http.cpu))
                line(name, min(times), statistics.median(times), min(cpu), size, goal)
            print(f"{load()}", flush=True)
        finally:
            http.close()


if __name__ == "__main__":
    main()
