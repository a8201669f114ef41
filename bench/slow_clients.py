"""Slow clients and sign-in limits against the production setup: nginx (deploy/nginx/) in front of gunicorn
(deploy/gunicorn.conf.py) with 2 workers, on free loopback ports, a temporary SQLite database.

    .venv/bin/python bench/slow_clients.py [--slow 20] [--seconds 15] [--workers 2] [--no-direct]

1. N slow clients (half trickle their request headers, half a 10 kB body, one byte a second) hold
   connections while a normal client asks for /login every 0.2 s: its latency is printed, through nginx
   and (for comparison, unless --no-direct) straight to gunicorn.
2. Sign-in limits with 2 workers, through nginx: 12 wrong passwords for one account (each on a new
   connection, so both workers answer), then the right one; 30 cadres signing in from one address.
Needs nginx (`apt-get install nginx`; `make bench` installs it when run as root).
"""
import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NGINX_MAIN = """worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream lianhu_app {{ server 127.0.0.1:{app_port}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{port};
        include {root}/deploy/nginx/lianhu-proxy.conf;
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def seed(env, cadres=30):
    """Schema, built-in forms, a township and N cadres (password secret-pass), through the app's services."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from server import create_app
    from server.areas.services import create_area
    from server.auth.services import create_user
    from server.extensions import db
    from server.surveys.services import publish_builtins

    class System:
        id, role, area = None, "admin", None
    app = create_app()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        publish_builtins()
        town = create_area(System(), code="B-T", name="桑洲镇", level="township")
        for n in range(cadres):
            create_user(f"cadre{n:02d}", "secret-pass", "cadre", area_id=town.id)
        db.session.commit()


def slow_client(port, kind, stop):
    """Hold a connection, sending one byte a second (headers or body), until told to stop."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        if kind == "headers":
            data = b"GET /login HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
        else:
            sock.sendall(b"POST /openrosa/submission HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
                         b"Content-Length: 10000\r\n\r\n")
            data = b"<" * 10000
        for byte in data:
            if stop.is_set():
                break
            sock.sendall(bytes([byte]))
            stop.wait(1.0)
        sock.close()
    except OSError:
        pass  # the server timed us out: what it should do


def warm_up(port, timeout=60.0):
    """Until /login answers 200 (gunicorn's workers boot after its socket listens)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/login")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"/login on {port} never answered 200")


def probe(port, seconds, interval=0.2, timeout=5.0):
    """A normal client: GET /login on a new connection every interval; latencies (s) and failures."""
    latencies, failures = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            conn.request("GET", "/login")
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                failures += 1
                print(f"      HTTP {response.status}")
            else:
                latencies.append(time.monotonic() - started)
        except OSError:
            failures += 1
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
    return latencies, failures


def slow_round(port, slow, seconds):
    baseline, _ = probe(port, 3)
    stop = threading.Event()
    threads = [threading.Thread(target=slow_client, args=(port, "headers" if n % 2 else "body", stop), daemon=True)
               for n in range(slow)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    latencies, failures = probe(port, seconds)
    stop.set()
    for t in threads:
        t.join(timeout=3)
    return baseline, latencies, failures


def describe(latencies, failures):
    if not latencies:
        return f"no successful request, {failures} failed or timed out (5 s)"
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"{len(latencies)} ok, {failures} failed/timed out; p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms")


def sign_in(port, username, password, address=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"username": username, "password": password, "name": "bench"})
    headers = {"Content-Type": "application/json", "Connection": "close"}
    if address:
        headers["X-Forwarded-For"] = address  # nginx overwrites it: every request comes from 127.0.0.1
    conn.request("POST", "/api/v1/devices", body, headers)
    response = conn.getresponse()
    text = response.read().decode()
    conn.close()
    return response.status, response.getheader("Retry-After"), text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-direct", action="store_true", help="skip the gunicorn-only comparison")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        sys.exit("nginx is not installed: apt-get install nginx")

    tmp = Path(tempfile.mkdtemp(prefix="lianhu-slow-"))
    app_port, port = free_port(), free_port()
    env = {"DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}", "ATTACHMENT_DIR": str(tmp / "attachments"),
           "LIANHU_ENV": "production", "SECRET_KEY": os.urandom(16).hex(), "TRUSTED_PROXIES": "1",
           "LIANHU_BIND": f"127.0.0.1:{app_port}", "LIANHU_WORKERS": str(args.workers), "LIANHU_ACCESS_LOG": "/dev/null",
           "HSTS_SECONDS": "0"}
    seed(env)
    (tmp / "nginx.conf").write_text(NGINX_MAIN.format(tmp=tmp, app_port=app_port, port=port, root=ROOT))
    procs = []
    try:
        procs.append(subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "deploy/gunicorn.conf.py"),
                                       "wsgi:app"], cwd=ROOT, env={**os.environ, **env},
                                      stdout=subprocess.DEVNULL, stderr=open(tmp / "gunicorn.log", "w")))
        wait_for(app_port)
        procs.append(subprocess.Popen([nginx, "-c", str(tmp / "nginx.conf"), "-p", str(tmp), "-g", "daemon off;"],
                                      stderr=open(tmp / "nginx-stderr.log", "w")))
        wait_for(port)
        warm_up(app_port)
        warm_up(port)
        print(f"gunicorn: {args.workers} gthread workers x 4 threads on :{app_port}; nginx on :{port}")

        print(f"\n1. {args.slow} slow clients (1 byte/s), a normal client asking for /login every 0.2 s, {args.seconds:.0f} s")
        for name, target in [("through nginx", port)] + ([] if args.no_direct else [("gunicorn alone", app_port)]):
            baseline, latencies, failures = slow_round(target, args.slow, args.seconds)
            print(f"   {name:15} before: {describe(baseline, 0)}")
            print(f"   {name:15} during: {describe(latencies, failures)}")

        print("\n2. sign-in limits, 2 workers behind nginx (each attempt on a new connection)")
        codes = [sign_in(port, "cadre00", "wrong", address=f"10.0.0.{n}")[0] for n in range(12)]
        status, retry, text = sign_in(port, "cadre00", "secret-pass")
        print(f"   12 wrong passwords for cadre00 (forged X-Forwarded-For ignored): {codes}")
        print(f"   then the right one: {status}, Retry-After {retry} s, {json.loads(text)['message']}")
        codes = [sign_in(port, f"cadre{n:02d}", "secret-pass")[0] for n in range(1, 30)]
        print(f"   29 other cadres from the same address: {sorted(set(codes))} x {len(codes)}")
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
