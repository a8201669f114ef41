"""gunicorn settings for production behind nginx (deploy/nginx/): `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

nginx buffers whole requests and answers slow clients itself, so gunicorn's threads only ever see complete
requests; gunicorn listens on the loopback only. Environment: LIANHU_BIND, LIANHU_WORKERS, LIANHU_THREADS,
LIANHU_KEEPALIVE_REQUESTS, LIANHU_ACCESS_LOG (empty: no access log)."""
import multiprocessing
import os

bind = os.environ.get("LIANHU_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("LIANHU_WORKERS", min(4, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("LIANHU_THREADS", 4))
#: a request that takes longer than this is killed (exports stream; big imports take seconds)
timeout = 120
graceful_timeout = 30
#: nginx keeps connections to us open (upstream keepalive)
keepalive = 75
#: a kept-alive connection is answered with "Connection: close" at every this many requests (as
#: nginx's keepalive_requests does): a gthread worker serves a connection for its whole life, so a
#: few busy connections that all fell to one worker would hold the app to one core; reconnected,
#: they go to whichever worker's loop accepts first, the less busy one
KEEPALIVE_REQUESTS = int(os.environ.get("LIANHU_KEEPALIVE_REQUESTS", 20))
#: only nginx, on this machine, may say who the client is (the app reads it: TRUSTED_PROXIES=1)
forwarded_allow_ips = "127.0.0.1"
max_requests = 5000
max_requests_jitter = 500
limit_request_line = 8190
limit_request_fields = 100
accesslog = os.environ.get("LIANHU_ACCESS_LOG", "-") or None
errorlog = "-"
preload_app = False


def pre_request(worker, req):
    """gunicorn's own (a debug line), and the keep-alive cap above."""
    worker.log.debug("%s %s", req.method, req.path)
    if KEEPALIVE_REQUESTS > 0 and req.req_number % KEEPALIVE_REQUESTS == 0:
        req.must_close = True
