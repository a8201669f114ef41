"""Many devices at once: no 500, nothing lost, nothing stored twice.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/lianhu_bench \\
        .venv/bin/python bench/concurrent_devices.py [--devices 50] [--seconds 180] [--workers 2] [--threads 4]

Starts gunicorn (README's production shape) on a free port against DATABASE_URL (PostgreSQL is
the point; SQLite works too), seeds cadres who each carry several phones, then runs one thread
per device for a bounded time. Each device pushes JSON batches over the cadre's households in its
own random order (so concurrent batches update the same household rows in different orders, the
classic deadlock), posts OpenRosa visits, re-sends about one request in five as a device does
after a cut connection, and now and then drops the connection before reading the answer and
sends again. At the end it prints the responses by status and checks the database: every
instanceID a device sent and was told was stored is there exactly once.
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(env, cadres, phones, households):
    os.environ.update(env)
    from flask_migrate import upgrade

    from server import create_app
    from server.areas.services import create_area
    from server.auth.services import create_user, issue_device
    from server.extensions import db
    from server.households.models import Household
    from server.households.services import link_cadre
    from server.surveys.services import current_version, publish_builtins

    class System:
        id, role, area = None, "admin", None
    app = create_app()
    run = uuid.uuid4().hex[:6]
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        publish_builtins()
        county = create_area(System(), code=f"C{run}", name="县", level="county")
        town = create_area(System(), code=f"C{run}-1", name="镇", level="township", parent_id=county.id)
        devices = []
        for c in range(cadres):
            cadre = create_user(f"conc{run}{c}", "bench-pass", "cadre", area_id=town.id)
            owned = []
            for h in range(households):
                hh = Household(code=f"C{run}{c:02d}-{h:03d}", area_id=town.id, head_name=f"户主{h}",
                               address=f"{h}号", lat=29.29 + c * 0.01, lon=121.43 + h * 0.0005,
                               location_source="surveyed")
                db.session.add(hh)
                db.session.flush()
                link_cadre(hh, cadre.id, actor=System())
                owned.append((hh.id, hh.code, hh.lat, hh.lon))
            for p in range(phones):
                devices.append((issue_device(cadre, f"phone {p}")[1], owned))
        db.session.commit()
        return app, devices, current_version("visit").xml


class Device(threading.Thread):
    def __init__(self, port, token, households, form_xml, deadline, seed_value):
        super().__init__(daemon=True)
        self.port, self.token, self.households, self.form_xml = port, token, households, form_xml
        self.deadline, self.rng = deadline, random.Random(seed_value)
        self.statuses, self.stored, self.sent = Counter(), set(), set()
        self.connection = None

    def request(self, path, body, headers, drop=False):
        for attempt in range(5):
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.connection.request("POST", path, body=body, headers=headers)
                if drop:  # the phone loses its signal before the answer: close and send again
                    self.connection.close()
                    self.connection, drop = None, False
                    self.statuses["dropped"] += 1
                    continue
                response = self.connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
                time.sleep(0.05 * (attempt + 1))
        return 0, b""

    def run(self):
        now = datetime.now(timezone.utc) - timedelta(hours=6)
        tick = 0
        while time.monotonic() < self.deadline:
            tick += 1
            if self.rng.random() < 0.5:
                chosen = self.rng.sample(self.households, min(len(self.households), 20))
                items = [{"instance_id": f"uuid:{uuid.uuid4()}", "form_id": "visit", "household_id": hid,
                          "captured_at": (now + timedelta(seconds=tick * 60 + i)).isoformat(),
                          "location": {"lat": lat, "lon": lon, "accuracy": 6},
                          "answers": {"visit_type": "routine", "concerns": "ok"}} for i, (hid, _, lat, lon)
                         in enumerate(chosen)]
                body = json.dumps({"submissions": items}).encode()
                headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
                for _ in range(2 if self.rng.random() < 0.2 else 1):
                    status, data = self.request("/api/v1/sync/push", body, headers, drop=self.rng.random() < 0.05)
                    self.statuses[status] += 1
                    self.sent.update(i["instance_id"] for i in items)
                    if status == 200:
                        for result in json.loads(data)["results"]:
                            if result["status"] in ("accepted", "duplicate"):
                                self.stored.add(result["instance_id"])
            else:
                from forms.answers import build_instance_xml
                _, code, lat, lon = self.rng.choice(self.households)
                when = (now + timedelta(seconds=tick * 60)).astimezone(timezone(timedelta(hours=8)))
                instance_id = f"uuid:{uuid.uuid4()}"
                xml = build_instance_xml(self.form_xml, {
                    "start": when.isoformat(timespec="milliseconds"), "end": when.isoformat(timespec="milliseconds"),
                    "household": code, "location": f"{lat} {lon} 10 5", "visit_type": "routine"}, instance_id)
                boundary = uuid.uuid4().hex
                body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; "
                        f"filename=\"submission.xml\"\r\nContent-Type: text/xml\r\n\r\n").encode() + xml + \
                    f"\r\n--{boundary}--\r\n".encode()
                headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "X-OpenRosa-Version": "1.0"}
                for _ in range(2 if self.rng.random() < 0.2 else 1):
                    status, _ = self.request(f"/key/{self.token}/openrosa/submission", body, headers,
                                             drop=self.rng.random() < 0.05)
                    self.statuses[status] += 1
                    self.sent.add(instance_id)
                    if status == 201:
                        self.stored.add(instance_id)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--phones", type=int, default=5, help="devices per cadre account")
    parser.add_argument("--households", type=int, default=30, help="households per cadre")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lianhu-conc-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
    env = {"LIANHU_INSTANCE": tmp, "ATTACHMENT_DIR": f"{tmp}/attachments", "LIANHU_ENV": "production",
           "SECRET_KEY": "bench", "DATABASE_URL": url}
    cadres = max(1, args.devices // args.phones)
    app, devices, form_xml = seed(env, cadres, args.phones, args.households)
    port = free_port()
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", str(args.workers), "-k", "gthread", "--threads", str(args.threads),
         "-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env={**os.environ, **env})
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        deadline = time.monotonic() + args.seconds
        threads = [Device(port, token, owned, form_xml, deadline, n) for n, (token, owned) in enumerate(devices)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(args.seconds + 300)
        wall = time.monotonic() - started
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    statuses = sum((t.statuses for t in threads), Counter())
    sent = set().union(*(t.sent for t in threads))
    acknowledged = set().union(*(t.stored for t in threads))
    with app.app_context():
        from server.extensions import db
        from server.submissions.models import Submission
        rows = Counter()
        ids = list(sent)
        for start in range(0, len(ids), 5000):
            chunk = ids[start:start + 5000]
            rows.update(db.session.scalars(db.select(Submission.instance_id).where(Submission.instance_id.in_(chunk))))
    lost = len(acknowledged - set(rows))
    duplicated = sum(1 for n in rows.values() if n > 1)
    errors = sum(n for status, n in statuses.items() if isinstance(status, int) and status >= 500)
    print(f"database: {url.split('://')[0]}, devices: {len(threads)} ({cadres} cadres x {args.phones} phones), "
          f"gunicorn {args.workers}x{args.threads}, {wall:.0f} s")
    print("responses: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=str)))
    print(f"instanceIDs sent: {len(sent)}, acknowledged: {len(acknowledged)}, stored: {len(rows)}")
    print(f"5xx: {errors}  lost: {lost}  duplicated: {duplicated}")
    sys.exit(1 if errors or lost or duplicated else 0)


if __name__ == "__main__":
    main()
