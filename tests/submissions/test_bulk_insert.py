"""A batch's submissions and summary rows stored in one statement (PostgreSQL: INSERT ... FROM unnest
of one array per column, server/pg_bulk.py; SQLite: an executemany) hold exactly what one INSERT per
row stores: every column, JSON null against SQL NULL, zones, floats given as ints, Chinese, quotes."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from server.coverage.summary import M, add_new_visits
from server.submissions import inserts
from server.submissions.models import Submission
from server.surveys.models import Form, FormVersion

SHANGHAI = timezone(timedelta(hours=8))
SKIPPED = {"id", "instance_id"}


def _rows(db, household, cadre, prefix):
    version = db.session.scalars(select(FormVersion).join(Form).where(Form.kind == "visit")).first()
    base = dict(form_version_id=version.id, kind="visit", household_id=household.id, area_id=household.area_id,
                submitter_id=cadre.id, device_id=None, source="json", received_at=datetime(2026, 12, 1, 2, tzinfo=timezone.utc),
                is_mock=False, geo_distance_m=None, base_geo_status="verified", clock_offset_s=None,
                content_hash="0" * 64, review_state="received", is_current=True, replaces_id=None,
                rated_cadre_id=None, is_self_rated=False, altitude=None, review_comment=None)
    return [
        {**base, "instance_id": f"{prefix}-1", "captured_at": datetime(2026, 11, 30, 23, 59, tzinfo=SHANGHAI),
         "lat": 29, "lon": 121.5, "accuracy": 4, "geo_status": "verified", "geo_reason": None, "geo_flags": None,
         "fingerprint": None, "answers": {"note": '屋顶"漏雨", \\ 需修', "n": 3, "list": [1, 2.5]},
         "raw_xml": '<data id="visit"><note>屋顶"漏雨"</note></data>'},
        {**base, "instance_id": f"{prefix}-2", "captured_at": datetime(2026, 12, 1, 8, 30, 15, 123456, tzinfo=timezone.utc),
         "lat": None, "lon": None, "accuracy": None, "geo_status": "suspect", "geo_reason": "快速移动",
         "geo_flags": [{"code": "speed", "kmh": 140}], "fingerprint": {"ip": "10.0.0.1", "ua": "x"},
         "answers": {}, "raw_xml": None, "clock_offset_s": -3, "is_mock": True, "altitude": 0},
    ]


def _stored(db, instance_ids):
    db.session.expire_all()
    found = {s.instance_id: s for s in db.session.scalars(select(Submission).where(
        Submission.instance_id.in_(instance_ids)))}
    return [{c.name: getattr(found[i], c.key) for c in Submission.__table__.c if c.name not in SKIPPED}
            for i in instance_ids]


def test_a_batch_insert_stores_what_row_by_row_inserts_store(db, make_area, make_user, make_household):
    village = make_area("东村")
    cadre = make_user("cadre", area=village)
    household = make_household(village, cadre=cadre)
    connection = db.session.connection()
    one_by_one = _rows(db, household, cadre, "single")
    ids = [inserts._insert_submissions(connection, [row])[0] for row in one_by_one]
    batch = _rows(db, household, cadre, "batch")
    batch_ids = inserts._insert_submissions(connection, batch)
    assert len(set(ids + batch_ids)) == 4
    assert [db.session.get(Submission, i).instance_id for i in batch_ids] == ["batch-1", "batch-2"]
    assert _stored(db, ["batch-1", "batch-2"]) == _stored(db, ["single-1", "single-2"])
    raw = connection.execute(select(Submission.geo_flags.is_(None), Submission.fingerprint.is_(None))
                             .where(Submission.instance_id.in_(["single-1", "batch-1"]))).all()
    assert raw[0] == raw[1]  # None in a JSON column: the same (JSON null or SQL NULL) both ways


def test_a_batch_of_summary_rows_adds_to_existing_ones(db, make_area, make_user, make_household):
    village = make_area("西村")
    cadre = make_user("cadre", area=village)
    households = [make_household(village, cadre=cadre) for _ in range(3)]
    connection = db.session.connection()

    def visit(h, when, status="verified"):
        s = Submission(instance_id=f"uuid:{h.id}-{when.isoformat()}", kind="visit", household_id=h.id,
                       submitter_id=cadre.id, captured_at=when, geo_status=status, is_current=True,
                       review_state="received")
        return s

    first = [visit(h, datetime(2026, 11, 3, 2, tzinfo=timezone.utc)) for h in households]
    assert add_new_visits(first) == 3
    later = [visit(households[0], datetime(2026, 11, 9, 2, tzinfo=timezone.utc)),
             visit(households[1], datetime(2026, 11, 9, 3, tzinfo=timezone.utc), status="far"),
             visit(households[2], datetime(2026, 12, 1, 2, tzinfo=timezone.utc))]
    assert add_new_visits(later) == 3
    rows = connection.execute(select(M.c.household_id, M.c.month, M.c.visits, M.c.counted, M.c.counted_days,
                                     M.c.flagged).order_by(M.c.household_id, M.c.month)).all()
    h0, h1, h2 = (h.id for h in households)
    assert [tuple(r) for r in rows] == [
        (h0, 202611, 2, 2, (1 << 2) | (1 << 8), 0),
        (h1, 202611, 2, 1, 1 << 2, 1),
        (h2, 202611, 1, 1, 1 << 2, 0),
        (h2, 202612, 1, 1, 1, 0),
    ]
