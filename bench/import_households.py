"""Time the household import: 50,000 rows through the importer service and through the HTTP API.

    .venv/bin/python bench/import_households.py [--rows 50000] [--villages 50]

Uses a temporary SQLite database, or, when DATABASE_URL points at a PostgreSQL server,
a temporary database created on that server and dropped afterwards. Prints rows/s.
Target: under 30 s for 50,000 rows.
"""
import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from server import create_app  # noqa: E402
from server.config import Config  # noqa: E402
from server.extensions import db  # noqa: E402

CENTRE = (29.29, 121.43)  # Ninghai county, Zhejiang
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "建国秀英桂兰明华志强海燕玉梅国庆春花德福金凤永红小平丽娟文杰淑芬"
CATEGORIES = ["ordinary"] * 14 + ["low_income", "elderly_alone", "disabled", "left_behind"]
TARGET_SECONDS = 30.0


def build_csv(rows: int, villages: list[str], cadres: dict[str, list[str]], seed: int = 7) -> bytes:
    """A realistic household file: codes per village, clustered coordinates, some cadre links."""
    rng = random.Random(seed)
    centres = {v: (CENTRE[0] + rng.uniform(-0.15, 0.15), CENTRE[1] + rng.uniform(-0.2, 0.2)) for v in villages}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["code", "area_code", "address", "head_name", "phone", "size", "category", "lat", "lon", "cadre"])
    for n in range(rows):
        village = villages[n % len(villages)]
        number = n // len(villages) + 1
        lat, lon = centres[village]
        writer.writerow([
            f"{village}-{number:04d}", village, f"{village}村{1 + number // 40}组{number}号",
            rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2]),
            f"13{rng.randrange(10 ** 9):09d}", rng.randint(1, 7), rng.choice(CATEGORIES),
            f"{lat + rng.gauss(0, 0.004):.6f}", f"{lon + rng.gauss(0, 0.004):.6f}",
            rng.choice(cadres[village]) if rng.random() < 0.9 else "",
        ])
    return buffer.getvalue().encode("utf-8")


def temporary_database(tmp: Path):
    """(url, cleanup) for a fresh database."""
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith(("postgres://", "postgresql")):
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    url = make_url(url.replace("postgres://", "postgresql://", 1).replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"lianhu_bench_{uuid.uuid4().hex[:8]}"
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()
    return url.set(database=name).render_as_string(hide_password=False), drop


def make_app(url: str, tmp: Path):
    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        ATTACHMENT_DIR = str(tmp / "attachments")
        PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # 400 bench cadres; scrypt would only slow the setup
        RATELIMIT_ENABLED = False
        MAX_CONTENT_LENGTH = 100 * 1024 * 1024
    return create_app(BenchConfig)


def seed(villages: int, cadres_per_village: int):
    """County > township > villages, an admin and cadres, made through the services."""
    from server.areas.services import create_area
    from server.auth.services import create_user
    admin = create_user("bench-admin", "bench-admin-pw", "admin")
    county = create_area(admin, code="NH", name="宁海县", level="county")
    town = create_area(admin, code="NH-SZ", name="桑洲镇", level="township", parent_id=county.id)
    codes, cadres = [], {}
    for v in range(villages):
        code = f"SZ{v + 1:02d}"
        area = create_area(admin, code=code, name=f"第{v + 1}村", level="village", parent_id=town.id)
        codes.append(code)
        cadres[code] = [create_user(f"c{code}-{c}", "bench-cadre-pw", "cadre", area_id=area.id).username
                        for c in range(cadres_per_village)]
    db.session.commit()
    return admin, codes, cadres


def clear_households():
    db.session.execute(text("DELETE FROM assignments"))
    db.session.execute(text("DELETE FROM households"))
    db.session.commit()


def report(label: str, rows: int, seconds: float, result: dict) -> None:
    verdict = "ok" if seconds < TARGET_SECONDS else f"SLOWER than the {TARGET_SECONDS:.0f} s target"
    print(f"{label:<34} {rows:>7} rows in {seconds:6.2f} s = {rows / seconds:>8.0f} rows/s  "
          f"(created {result.get('created')}, updated {result.get('updated')}, "
          f"unchanged {result.get('unchanged')}, linked {result.get('linked')})"
          f"  {verdict}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--villages", type=int, default=50)
    parser.add_argument("--cadres-per-village", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url, drop = temporary_database(tmp)
        try:
            app = make_app(url, tmp)
            with app.app_context():
                upgrade(directory=app.extensions["migrate"].directory)
                from server.auth.services import issue_device
                from server.households.importer import import_households
                print(f"database: {db.engine.dialect.name}")
                admin, villages, cadres = seed(args.villages, args.cadres_per_village)
                started = time.perf_counter()
                data = build_csv(args.rows, villages, cadres)
                print(f"built {args.rows} rows ({len(data) / 1e6:.1f} MB CSV) in {time.perf_counter() - started:.2f} s")

                started = time.perf_counter()
                result = import_households(admin, "bench.csv", data)
                db.session.commit()
                report("service import (new households)", args.rows, time.perf_counter() - started, result)

                started = time.perf_counter()
                result = import_households(admin, "bench.csv", data)
                db.session.commit()
                report("service re-import (same file)", args.rows, time.perf_counter() - started, result)

                changed = build_csv(args.rows, villages, cadres, seed=8)  # same codes, other details and cadres
                started = time.perf_counter()
                result = import_households(admin, "bench.csv", changed)
                db.session.commit()
                report("service re-import (rows changed)", args.rows, time.perf_counter() - started, result)

                clear_households()
                _, token = issue_device(admin, "bench")
                db.session.commit()
                client = app.test_client()
                started = time.perf_counter()
                response = client.post("/api/v1/households/import", headers={"Authorization": f"Bearer {token}"},
                                       data={"file": (io.BytesIO(data), "bench.csv")},
                                       content_type="multipart/form-data")
                seconds = time.perf_counter() - started
                if response.status_code != 200:
                    print(f"HTTP import failed: {response.status_code} {response.get_data(as_text=True)[:500]}")
                    return 1
                report("HTTP API import (new households)", args.rows, seconds, response.json)
                db.session.remove()
                db.engine.dispose()
        finally:
            drop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
