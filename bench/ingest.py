"""Ingest benchmark: OpenRosa submissions and JSON push batches against gunicorn.

    .venv/bin/python bench/ingest.py [--n 2000] [--batches 40] [--workers 2] [--threads 4] [--seconds 120]
        [--mix plain,realistic] [--clients 1,4] [--repeats 3]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/your_own_bench_db .venv/bin/python bench/ingest.py

Starts gunicorn with production's settings (deploy/gunicorn.conf.py) as the README recommends for a
2-core server (one gthread worker per core with 4 threads each, so clients keep their connections
alive as ODK Collect's OkHttp does, and reconnect every 20 requests when told to) on a free
loopback port with a temporary SQLite database (or DATABASE_URL), seeds cadres and households
through the app's services, posts N OpenRosa visit submissions with 1 and then 4 concurrent
clients, then JSON batches of 100, each phase --repeats times, and prints submissions/s, p50/p95 latency and server CPU ms
per submission (gunicorn processes, plus PostgreSQL backends of the bench database when
DATABASE_URL is given). The clients (http.client, keep-alive, bodies encoded before the clock
starts) share the machine with the server, so their own CPU per request is printed too; then the
min / median over the repeats of each phase. Mixes: `plain` (one visit in ten records a demand),
`realistic` (a third of the visits raise one or two demands, a third confirm earlier cases: every
household starts with a resolved case awaiting the family's confirmation). `--history 600` gives each
cadre a year of earlier visits first, as a deployment in use holds. Bounded in count and time.
"""
import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests

from coverage import python_speed  # bench/coverage.py

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(env, cadres=4, households=50, resolved_cases=False, history=0):
    """Areas, cadres with linked households and device tokens, through the app's services
    (with `resolved_cases`, each household has a resolved case awaiting confirmation; with `history`,
    each cadre has that many earlier visits, see _history)."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from server import create_app
    from server.areas.services import create_area
    from server.auth.services import create_user, issue_device
    from server.extensions import db
    from server.households.models import Household
    from server.households.services import link_cadre
    from server.surveys.services import publish_builtins

    class System:
        id, role, area = None, "admin", None
    app = create_app()
    run = uuid.uuid4().hex[:6]  # a reused DATABASE_URL gets fresh codes and usernames
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        publish_builtins()
        county = create_area(System(), code=f"B{run}", name="县", level="county")
        village = create_area(System(), code=f"B{run}-1", name="村", level="township", parent_id=county.id)
        tokens = []
        for c in range(cadres):
            cadre = create_user(f"bench{run}{c}", "bench-pass", "cadre", area_id=village.id)
            codes = []
            for h in range(households):
                hh = Household(code=f"B{run}{c:02d}-{h:04d}", area_id=village.id, head_name=f"户主{h}",
                               address=f"{h}号", lat=29.29 + c * 0.001, lon=_lon(h), location_source="surveyed")
                db.session.add(hh)
                db.session.flush()
                link_cadre(hh, cadre.id, actor=System())
                if resolved_cases:
                    _resolved_case(hh)
                codes.append((hh.id, hh.code))
            _, token = issue_device(cadre, "bench")
            tokens.append((token, codes, 29.29 + c * 0.001))
        db.session.commit()
        from server.surveys.services import current_version
        xml = current_version("visit").xml
    if history:
        _history(app, tokens, history)
    return tokens, xml


def _history(app, tokens, per_cadre: int) -> None:
    """`per_cadre` earlier visits of each cadre, spread evenly from a year to a month ago, sent as JSON
    push batches through the app in-process (the real ingest path), so that the timed visits meet
    what a year-old deployment holds (every look-up by cadre reads past them) and none of the
    timed visits' neighbours (a month away)."""
    client, now = app.test_client(), datetime.now(timezone.utc)
    step = timedelta(days=335) / max(per_cadre, 1)
    for c, (token, codes, lat) in enumerate(tokens):
        items = []
        for k in range(per_cadre):
            h = k % len(codes)
            y, x = _fix(lat, h)
            items.append({"instance_id": f"uuid:{uuid.uuid4()}", "form_id": "visit", "household_id": codes[h][0],
                          "captured_at": (now - timedelta(days=365) + step * k).isoformat(),
                          "location": {"lat": y, "lon": x, "accuracy": 4 + k % 9, "altitude": 30 + k % 7},
                          "answers": {"visit_type": "routine", "concerns": "ok"}})
        for at in range(0, len(items), 100):
            response = client.post("/api/v1/sync/push", json={"submissions": items[at:at + 100]},
                                   headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 200:
                raise SystemExit(f"history batch refused: {response.status_code} {response.data[:300]!r}")


def _resolved_case(household) -> None:
    """A case of the household's, resolved a month ago and awaiting the family's confirmation."""
    from server.cases.services import open_case
    from server.models_base import utcnow
    month_ago = utcnow() - timedelta(days=30)
    case = open_case(None, household, text="修路", category="infrastructure", raised_at=month_ago - timedelta(days=5))
    case.status, case.resolved_at = "resolved", month_ago


def cpu_ms(pids, system_only=False) -> float:
    """CPU ms these processes have used (user and system, or only system: the kernel's part)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[12]) + (0 if system_only else int(fields[11]))  # stime, utime
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total * 1000.0 / TICK


def server_pids(master: int, db_pids) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    children.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                pass
    return [master, *children, *db_pids()]


def run_phase(name, jobs, clients, send, pids, deadline, quiet=False):
    """Run jobs over `clients` threads; print throughput, latency percentiles, server CPU per item."""
    latencies, lock, errors = [], threading.Lock(), []
    queue = list(jobs)
    items = sum(count for count, _ in queue)

    def worker():
        session = _Connection(pids.base)
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                count, job = queue.pop()
            started = time.perf_counter()
            ok = send(session, job)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors.append(ok)
    workers = pids.workers()
    per_worker, db_before = [cpu_ms([w]) for w in workers], cpu_ms(pids.db())
    before_cpu, before, client_before = cpu_ms(pids()), time.perf_counter(), time.process_time()
    system_before = cpu_ms(pids(), system_only=True)
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, server = time.perf_counter() - before, cpu_ms(pids()) - before_cpu
    system = cpu_ms(pids(), system_only=True) - system_before
    client = (time.process_time() - client_before) * 1000.0
    per_worker, db_cpu = [cpu_ms([w]) - b for w, b in zip(workers, per_worker)], cpu_ms(pids.db()) - db_before
    split = "/".join(f"{100 * c / max(sum(per_worker), 1e-9):.0f}" for c in sorted(per_worker, reverse=True))
    done = items - sum(c for c, _ in queue)
    if quiet:
        return None
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"{name:<28} clients={clients}  {done:>6} submissions in {wall:6.2f}s  {done / wall:8.1f}/s  "
          f"p50 {p(0.5):6.1f} ms  p95 {p(0.95):6.1f} ms  server CPU {server / max(done, 1):5.2f} ms/submission"
          f" (system {system / max(done, 1):4.2f})  errors {len(errors)}  (client CPU {client / max(done, 1):4.2f} ms; workers' CPU % {split}; database {db_cpu / max(done, 1):4.2f} ms)", flush=True)
    return done / wall, server / max(done, 1), len(errors)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="OpenRosa submissions per phase (max 20000)")
    parser.add_argument("--batches", type=int, default=40, help="JSON batches of 100 per phase (max 400)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (README: one per core)")
    parser.add_argument("--threads", type=int, default=4, help="> 1: gthread workers (HTTP keep-alive); 1: sync")
    parser.add_argument("--seconds", type=int, default=120, help="time limit per phase")
    parser.add_argument("--mix", default="plain,realistic", help="OpenRosa mixes: plain, realistic (comma-separated)")
    parser.add_argument("--clients", default="1,4", help="concurrent clients per phase (comma-separated)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each phase (min / median printed)")
    parser.add_argument("--no-json", action="store_true", help="skip the JSON push phases")
    parser.add_argument("--config", default="deploy/gunicorn.conf.py",
                        help="gunicorn config file, production's by default (its keep-alive cap included); '' for "
                             "gunicorn's defaults. Workers, threads, bind, logs and --preload come from the options "
                             "here; worker restarts (max_requests) are off")
    parser.add_argument("--history", type=int, default=0,
                        help="earlier visits per cadre (a year's worth: about 600), stored before timing")
    parser.add_argument("--gunicorn", default="", help="more gunicorn options, e.g. '--worker-connections 2'")
    args = parser.parse_args()
    n, batches, repeats = min(args.n, 20000), min(args.batches, 400), max(1, min(args.repeats, 9))
    mixes = [m for m in args.mix.split(",") if m]
    clients_list = [int(c) for c in args.clients.split(",") if c]
    unknown = set(mixes) - set(MIXES)
    if unknown:
        raise SystemExit(f"unknown mix {', '.join(sorted(unknown))}; choose from {', '.join(MIXES)}")
    tmp = tempfile.mkdtemp(prefix="lianhu-bench-")
    env = {"LIANHU_INSTANCE": tmp, "ATTACHMENT_DIR": f"{tmp}/attachments", "LIANHU_ENV": "production",
           "SECRET_KEY": "bench", "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
    db_pids = _postgres_pids(env["DATABASE_URL"])
    deadlocks = getattr(db_pids, "deadlocks", None)
    deadlocks_before = deadlocks() if deadlocks else None
    tokens, form_xml = seed(env, cadres=CADRES, resolved_cases="realistic" in mixes, history=args.history)
    openrosa_runs = len(mixes) * len(clients_list) * repeats
    json_runs = 0 if args.no_json else len(clients_list) * repeats
    plan_days((8 * args.workers + openrosa_runs * n + json_runs * batches * 100) // CADRES + 1)
    port = free_port()
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), *(["-c", str(ROOT / args.config)] if args.config else []),
         "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         *(["-k", "gthread", "--threads", str(args.threads)] if args.threads > 1 else ["-k", "sync"]),
         "--max-requests", "0", *args.gunicorn.split(), "--preload", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env={**os.environ, **env, "LIANHU_ACCESS_LOG": ""})
    base = f"http://127.0.0.1:{port}"
    figures: dict = {}
    try:
        _wait(base)
        pids = lambda: server_pids(gunicorn.pid, db_pids)  # noqa: E731
        pids.base = base
        pids.workers = lambda: server_pids(gunicorn.pid, lambda: [])[1:]  # gunicorn's workers alone
        pids.db = db_pids
        print(f"database: {env['DATABASE_URL'].split('://')[0]}, gunicorn workers: {args.workers}, "
              f"threads: {args.threads}, config: {args.config or 'none'}, cores: {os.cpu_count()}, commit: {_commit()}, "
              f"history: {args.history} visits a cadre, load average: {_loadavg()}, {python_speed()}", flush=True)
        cap = int(os.environ.get("LIANHU_KEEPALIVE_REQUESTS", 20))
        if not args.no_json and args.config and batches < cap * max(clients_list):
            enough = cap * 2 * max(clients_list)
            print(f"note: {batches} JSON batches over {max(clients_list)} clients is fewer a client than the keep-alive "
                  f"cap ({cap} requests): no connection is ever told to reconnect, so a run whose connections all fell "
                  f"to one worker runs on one core; "
                  + (f"--batches {enough} lets the cap act" if enough <= 400 else "use fewer clients"), flush=True)
        warm_up = [(1, x) for x in _instances(form_xml, tokens, 8 * args.workers, 4)]
        run_phase("warm-up", warm_up, 4, _post_openrosa, pids, time.monotonic() + 60, quiet=True)
        for mix in mixes:
            for clients in clients_list:
                name = f"OpenRosa {mix}"
                for _ in range(repeats):
                    jobs = [(1, x) for x in _instances(form_xml, tokens, n, clients, mix=mix)]
                    figures.setdefault((name, clients), []).append(
                        run_phase(name, jobs, clients, _post_openrosa, pids, time.monotonic() + args.seconds))
        for clients in ([] if args.no_json else clients_list):
            name = "JSON push (batches of 100)"
            for _ in range(repeats):
                jobs = [(100, b) for b in _batches(tokens, batches)]
                figures.setdefault((name, clients), []).append(
                    run_phase(name, jobs, clients, _post_json, pids, time.monotonic() + args.seconds))
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    print(f"\nsummary over {repeats} runs (min / median), load average after: {_loadavg()}, {python_speed()}")
    if deadlocks:
        print(f"PostgreSQL deadlocks detected in the bench database during the run: {deadlocks() - deadlocks_before} "
              "(each one made ingest run a batch again)")
    for (name, clients), runs in figures.items():
        rates = sorted(r[0] for r in runs)
        cpu = sorted(r[1] for r in runs)
        print(f"{name:<28} clients={clients}  {rates[0]:8.1f} / {statistics.median(rates):8.1f} per s  "
              f"server CPU {cpu[0]:5.2f} / {statistics.median(cpu):5.2f} ms/submission  "
              f"errors {sum(r[2] for r in runs)}")


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _wait(base):
    for _ in range(600):  # up to a minute: a loaded machine starts gunicorn (--preload) slowly
        try:
            requests.get(base + "/openrosa/formList", timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


#: a cadre walks from house to house (about 50 m apart), one visit every VISIT_SPACING, as in the
#: field: visits packed a second apart at one spot would be (rightly) flagged as a burst and
#: re-checked against hundreds of neighbours, which measures the fake-visit checks, not ingest
VISIT_SPACING = timedelta(minutes=10)
#: enough cadres that every visit of a run fits in their last ten days (MAX_OFFLINE_DAYS is 14)
CADRES = 16
_CLOCK: dict = {}


def _lon(h: int) -> float:
    return 121.43 + h * 0.0005


#: a phone's fix wanders by a few metres from one visit to the next: with the very same coordinates
#: on every visit of a household, each new visit's same-pin look-up (checks._around) read up to 200
#: earlier visits, which honest fixes never give
_JITTER = random.Random(16)


def _fix(lat: float, h: int) -> tuple[float, float]:
    return (round(lat + 0.00004 + _JITTER.gauss(0, 0.00002), 7), round(_lon(h) + _JITTER.gauss(0, 0.00002), 7))


def plan_days(visits_per_cadre: int) -> None:
    """Place every cadre's visits of the whole run (all phases) in one walk ending an hour ago."""
    _CLOCK["first"] = (datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=1)
                       - VISIT_SPACING * visits_per_cadre)


def _next_visit(cadre: int, _total=None):
    """The next capture time of a cadre's walk, oldest first."""
    k = _CLOCK.get(cadre, 0)
    _CLOCK[cadre] = k + 1
    return _CLOCK["first"] + VISIT_SPACING * k


MIXES = ("plain", "realistic")


def _instances(form_xml, tokens, n, clients, mix="plain"):
    from forms.answers import build_instance_xml
    out = []
    for i in range(n):
        c = i % len(tokens)
        token, codes, lat = tokens[c]
        k = _CLOCK.get(c, 0)
        at = _next_visit(c, 1500)
        when, opened = at.isoformat(timespec="milliseconds"), (at - timedelta(minutes=8)).isoformat(timespec="milliseconds")
        h = k % len(codes)
        answers = {"start": opened, "end": when, "household": codes[h][1],
                   "location": "{} {} {} {}".format(*_fix(lat, h), 30 + k % 7, 4 + k % 9), "visit_type": "routine",
                   "concerns": "ok"}
        if mix == "realistic":  # a third raise one or two demands, a third confirm earlier cases
            if i % 3 == 1:
                answers["demands"] = [{"category": "medical", "text": "a doctor"},
                                      {"category": "housing", "text": "屋顶漏雨"}][:1 + (i // 3) % 2]
            elif i % 3 == 2:
                answers["cases_confirmed"] = "yes"
        elif i % 10 == 0:  # one visit in ten records a resident demand (the cases hook opens a case)
            answers["demands"] = [{"category": "medical", "text": "a doctor"}]
        out.append((token, *_multipart(build_instance_xml(form_xml, answers, f"uuid:{uuid.uuid4()}"))))
    return out


def _batches(tokens, count):
    out = []
    for b in range(count):
        c = b % len(tokens)
        token, codes, lat = tokens[c]
        items = []
        for _ in range(100):
            k = _CLOCK.get(c, 0)
            h = k % len(codes)
            y, x = _fix(lat, h)
            items.append({"instance_id": f"uuid:{uuid.uuid4()}", "form_id": "visit", "household_id": codes[h][0],
                          "captured_at": _next_visit(c, 1500).isoformat(),
                          "location": {"lat": y, "lon": x, "accuracy": 4 + k % 9,
                                       "altitude": 30 + k % 7},
                          "answers": {"visit_type": "routine", "concerns": "ok"}})
        out.append((token, json.dumps({"submissions": items}).encode()))
    return out


class _Connection:
    """One keep-alive HTTP/1.1 connection per client thread (reopened when the server closes it).

    Bodies are encoded before the clock starts and sent with http.client, so the clients, which
    share the machine with the server, spend little CPU per request (phones do not share it)."""

    def __init__(self, base):
        host, port = base.rsplit("//", 1)[1].split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def post(self, path, body: bytes, headers: dict) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                self.connection.request("POST", path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # the server closed an idle keep-alive connection: reconnect once
                if attempt:
                    raise
        raise AssertionError("unreachable")


def _multipart(xml: bytes) -> tuple[bytes, str]:
    """The multipart/form-data body ODK Collect sends for a submission without attachments."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
            f"filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post_openrosa(session, job):
    token, body, content_type = job
    status, _ = session.post(f"/key/{token}/openrosa/submission", body,
                             {"Content-Type": content_type, "X-OpenRosa-Version": "1.0"})
    return status == 201


def _post_json(session, job):
    token, body = job
    status, data = session.post("/api/v1/sync/push", body,
                                {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    return status == 200 and all(r["status"] == "accepted" for r in json.loads(data)["results"])


def _postgres_pids(url):
    """PIDs of PostgreSQL backends serving the bench database (their CPU counts as server CPU)."""
    if not url.startswith("postgres"):
        return lambda: []
    import psycopg
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    dbname = plain.rsplit("/", 1)[1].split("?")[0]

    def pids():
        with psycopg.connect(plain) as conn:
            return [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                               "AND pid <> pg_backend_pid()", (dbname,))]

    def deadlocks():
        with psycopg.connect(plain) as conn:
            return conn.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = %s", (dbname,)).fetchone()[0]
    pids.deadlocks = deadlocks
    return pids


if __name__ == "__main__":
    main()
