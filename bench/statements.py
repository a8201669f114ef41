"""SQL statements per device submission, counted in-process (Flask test client, real database):
OpenRosa POSTs one by one and JSON push batches, by statement kind, with the time each kind took
from send to result per submission (on PostgreSQL the round trip and the server's work, its
triggers included; on SQLite the statement up to its first row).

    .venv/bin/python bench/statements.py [--n 20] [--batch 100]
    DATABASE_URL=postgresql://.../your_own_db .venv/bin/python bench/statements.py
"""
import argparse
import collections
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="OpenRosa submissions")
    parser.add_argument("--batch", type=int, default=100, help="items in the JSON push batch")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lianhu-statements-")
    env = {"LIANHU_INSTANCE": tmp, "ATTACHMENT_DIR": f"{tmp}/attachments", "SECRET_KEY": "bench",
           "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
    from ingest import _batches, _instances, plan_days, seed
    tokens, form_xml = seed(env, cadres=1, households=200)
    plan_days(args.n + 1 + args.batch)
    from server import create_app
    from server.extensions import db
    app = create_app()
    client = app.test_client()
    seen, spent = collections.Counter(), collections.Counter()
    with app.app_context():
        engine = db.engine

        def count(conn, cursor, statement, parameters, context, executemany):
            kind = " ".join(statement.split()[:3]).upper()[:40]
            seen[kind] += 1
            conn.info["lianhu_started"] = (kind, time.perf_counter())

        def took(conn, cursor, statement, parameters, context, executemany):
            kind, started = conn.info.pop("lianhu_started", (None, None))
            if kind is not None:
                spent[kind] += time.perf_counter() - started
        event.listen(engine, "before_cursor_execute", count)
        event.listen(engine, "after_cursor_execute", took)
        token = tokens[0][0]
        for i, (_, body, content_type) in enumerate(_instances(form_xml, tokens, args.n + 1, 1)):
            if i == 1:
                seen.clear()  # the first request warms caches
                spent.clear()
            response = client.post(f"/key/{token}/openrosa/submission", data=body, content_type=content_type,
                                   headers={"X-OpenRosa-Version": "1.0"})
            assert response.status_code == 201, response.data[:300]
        openrosa, openrosa_ms = dict(seen), {k: v * 1000 for k, v in spent.items()}
        seen.clear()
        spent.clear()
        import json
        batch = json.loads(_batches(tokens, 1)[0][1])
        batch["submissions"] = batch["submissions"][:args.batch]
        response = client.post("/api/v1/sync/push", json=batch, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.data[:300]
        push, push_ms = dict(seen), {k: v * 1000 for k, v in spent.items()}
    print(f"database: {engine.dialect.name}")
    print(f"OpenRosa: {sum(openrosa.values()) / args.n:.1f} statements per submission "
          f"({args.n} submissions): " + ", ".join(f"{k} {v / args.n:.1f}" for k, v in sorted(openrosa.items())))
    print(f"  time in statements: {sum(openrosa_ms.values()) / args.n:.2f} ms per submission; by kind (ms): "
          + ", ".join(f"{k} {v / args.n:.3f}" for k, v in sorted(openrosa_ms.items(), key=lambda kv: -kv[1])))
    n = len(batch["submissions"])
    print(f"JSON push: {sum(push.values())} statements for a batch of {n} "
          f"({sum(push.values()) / n:.2f} per submission): " + ", ".join(f"{k} {v}" for k, v in sorted(push.items())))
    print(f"  time in statements: {sum(push_ms.values()) / n:.3f} ms per submission; by kind (ms per batch): "
          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(push_ms.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    main()
