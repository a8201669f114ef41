"""Production's gunicorn settings (deploy/gunicorn.conf.py), served for real: a kept-alive connection
is told to close at every LIANHU_KEEPALIVE_REQUESTS-th request, so that the client reconnects and a
worker that holds every busy connection can hand some over."""
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {**os.environ, "LIANHU_BIND": f"127.0.0.1:{port}", "LIANHU_WORKERS": "1", "LIANHU_THREADS": "2",
           "LIANHU_KEEPALIVE_REQUESTS": "5", "LIANHU_ACCESS_LOG": "", "LIANHU_ENV": "production",
           "SECRET_KEY": "test-gunicorn", "DATABASE_URL": f"sqlite:///{tmp_path}/unused.db",
           "LIANHU_INSTANCE": str(tmp_path)}
    process = subprocess.Popen([str(GUNICORN), "-c", str(ROOT / "deploy/gunicorn.conf.py"), "wsgi:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"gunicorn did not start: {process.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_kept_alive_connection_is_closed_every_nth_request_and_the_client_reconnects(served):
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    answers, sockets = [], []
    for _ in range(12):
        connection.request("GET", "/static/app.css")
        sockets.append(connection.sock.getsockname())
        response = connection.getresponse()
        assert response.status == 200
        assert response.read()
        answers.append(response.getheader("Connection", "").lower())
    connection.close()
    assert [n for n, said in enumerate(answers, start=1) if said == "close"] == [5, 10]
    assert len(set(sockets)) == 3  # requests 1-5, 6-10 and 11-12, each on its own connection
    assert sockets[0] == sockets[4] != sockets[5] == sockets[9] != sockets[10]
