"""Profile the in-process OpenRosa and JSON push paths (Flask test client, real database).

    .venv/bin/python bench/profile_ingest.py [--n 300] [--mix plain|realistic] [--json] [--top 40]
    DATABASE_URL=postgresql://.../your_own_db .venv/bin/python bench/profile_ingest.py

Seeds as bench/ingest.py does, warms up, then runs N OpenRosa submissions (or N/100 JSON batches)
under cProfile and prints CPU ms per submission and the functions with the most cumulative time.
"""
import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--mix", default="plain")
    parser.add_argument("--json", action="store_true", help="JSON push batches of 100 instead of OpenRosa")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--callees", default="", help="also print what these functions call (comma-separated names)")
    parser.add_argument("--callers", default="", help="also print who calls these functions (comma-separated names)")
    parser.add_argument("--no-profile", action="store_true", help="only time it (CPU ms per submission)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="lianhu-profile-")
    env = {"LIANHU_INSTANCE": tmp, "ATTACHMENT_DIR": f"{tmp}/attachments", "SECRET_KEY": "bench",
           "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"}
    from ingest import _batches, _instances, plan_days, seed
    tokens, form_xml = seed(env, cadres=4, households=50, resolved_cases=args.mix == "realistic")
    plan_days(args.n // 4 + 150)  # each of the 4 cadres: its share, within MAX_OFFLINE_DAYS
    from server import create_app
    app = create_app()
    client = app.test_client()
    if args.json:
        jobs = [("json", token, body) for token, body in _batches(tokens, max(1, args.n // 100) + 1)]
    else:
        jobs = [("xml", *job) for job in _instances(form_xml, tokens, args.n + 20, 1, args.mix)]

    def send(job):
        if job[0] == "json":
            r = client.post("/api/v1/sync/push", data=job[2], content_type="application/json",
                            headers={"Authorization": f"Bearer {job[1]}"})
            assert r.status_code == 200, r.data[:300]
            return 100
        r = client.post(f"/key/{job[1]}/openrosa/submission", data=job[2], content_type=job[3],
                        headers={"X-OpenRosa-Version": "1.0"})
        assert r.status_code == 201, r.data[:300]
        return 1
    warm = 1 if args.json else 20
    for job in jobs[:warm]:
        send(job)
    profile = None if args.no_profile else cProfile.Profile()
    start = time.process_time()
    if profile:
        profile.enable()
    count = sum(send(job) for job in jobs[warm:])
    if profile:
        profile.disable()
    cpu = time.process_time() - start
    print(f"{count} submissions, {cpu * 1000 / count:.2f} CPU-ms each (in-process: client + server"
          f"{' + profiler' if profile else ''}; the database's own CPU not included on PostgreSQL)")
    if profile:
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).sort_stats(args.sort)
        stats.print_stats(args.top)
        for name in filter(None, args.callees.split(",")):
            stats.print_callees(name)
        for name in filter(None, args.callers.split(",")):
            stats.print_callers(name)
        print(out.getvalue())


if __name__ == "__main__":
    main()
