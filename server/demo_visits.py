"""Demo visits: realistic answers and locations, checked by the same geo rules as device data.

They are written directly (not through device sync) because a device syncing a year-old visit today
would rightly be flagged for its clock; here each visit is 'received' within a day of being made,
except a few late entries (补录) synced weeks later. What storing them changes (last counted visits,
anchors, cases, audit) is left to the lifecycle."""
import hashlib
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from forms.answers import build_instance_xml

from .extensions import db
from .geo import Fix, check_location
from .households.models import Assignment
from .submissions import lifecycle
from .submissions.models import Submission
from .surveys.services import current_version

DEMANDS = [
    ("medical", "老人腿脚不便，希望帮忙预约镇卫生院上门体检", "no"),
    ("infrastructure", "村口路灯坏了，晚上出行不便", "yes"),
    ("livelihood", "希望了解低保申请流程", "no"),
    ("education", "孩子需要一个新书包", "yes"),
    ("housing", "屋顶漏雨，雨季前需要修补", "no"),
    ("employment", "儿子想参加镇里的技能培训", "no"),
]
CONCERNS = ["家中一切正常", "老人身体尚可，按时服药", "家里种的杨梅今年收成不错", "子女在外务工，老人独自在家",
            "反映村道积水问题", "家庭和睦，无特殊困难"]


def _point(household, rng, village=None):
    """Where the phone was: mostly at the door, sometimes far, sometimes a mock fix. An unsurveyed
    house stands among its village's others (`village`: the centre of its located households)."""
    roll = rng.random()
    near = village or (29.1565, 121.2790)
    base_lat = household.lat if household.lat is not None else near[0] + rng.uniform(-0.002, 0.002)
    base_lon = household.lon if household.lon is not None else near[1] + rng.uniform(-0.002, 0.002)
    if roll < 0.82:
        offset, accuracy, mock = rng.uniform(2, 40), rng.choice([5.0, 8.0, 12.0, 15.0, 25.0]), False
    elif roll < 0.90:
        offset, accuracy, mock = rng.uniform(300, 1500), 10.0, False
    elif roll < 0.96:
        offset, accuracy, mock = rng.uniform(5, 60), rng.choice([65.0, 90.0, 150.0]), False
    elif roll < 0.99:
        offset, accuracy, mock = 0.0, 0.0, True
    else:
        return None, False  # no fix: indoors, location switched off
    return {"lat": round(base_lat + offset / 111_320 * rng.choice([-1, 1]), 6),
            "lon": round(base_lon + offset / 97_000 * rng.choice([-1, 1]), 6),
            "altitude": round(rng.uniform(20, 120), 1), "accuracy": accuracy}, mock


def working_hours(day: datetime, rng) -> datetime:
    """A moment on that day's working day (Monday to Friday, a few Saturdays), 08:30-11:45 or 13:30-17:30
    local time, as UTC; never in the future."""
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = day.astimezone(zone).date()
    if local.weekday() == 6 or (local.weekday() == 5 and rng.random() < 0.8):
        local -= timedelta(days=local.weekday() - 4)  # back to Friday
    minutes = rng.choice([rng.uniform(8.5 * 60, 11.75 * 60), rng.uniform(13.5 * 60, 17.5 * 60)])
    moment = datetime.combine(local, time(), zone) + timedelta(minutes=minutes)
    now = datetime.now(zone)
    return (moment if moment < now else now - timedelta(minutes=rng.uniform(30, 90))).astimezone(ZoneInfo("UTC"))


def _cadre_at(links: dict, household_id: int, moment):
    """The cadre linked to the household at that moment."""
    for cadre_id, valid_from, valid_to in links.get(household_id, ()):
        if valid_from <= moment and (valid_to is None or moment < valid_to):
            return cadre_id
    return None


def send_visits(plan, rng) -> int:
    """Store the planned (household, captured_at) visits by the cadre linked then; returns how many."""
    version = current_version("visit")
    links: dict = {}
    for household_id, cadre_id, valid_from, valid_to in db.session.execute(
            db.select(Assignment.household_id, Assignment.cadre_id, Assignment.valid_from, Assignment.valid_to)):
        links.setdefault(household_id, []).append((cadre_id, valid_from, valid_to))
    config = current_app.config
    previous: dict[int, Fix] = {}
    anchors: dict[int, tuple] = {}
    spots: dict[int, list] = {}
    for household, _ in plan:
        if household.lat is not None:
            spots.setdefault(household.area_id, []).append((household.lat, household.lon))
    villages = {a: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)) for a, pts in spots.items()}
    stored: list = []
    count = 0
    for household, captured_at in plan:
        cadre_id = _cadre_at(links, household.id, captured_at)
        if cadre_id is None:
            continue
        point, mock = _point(household, rng, villages.get(household.area_id))
        late = rng.random() < 0.008  # synced weeks later: a late entry, flagged by the clock check
        received_at = captured_at + (timedelta(days=rng.uniform(16, 25)) if late else
                                     timedelta(hours=rng.uniform(0.1, 20)))
        ref_lat, ref_lon = anchors.get(household.id, (household.lat, household.lon))
        geo = check_location(point, ref_lat, ref_lon, captured_at=captured_at,
                             received_at=received_at, config=config, is_mock=mock,
                             previous=previous.get(cadre_id))
        if point is not None:
            previous[cadre_id] = Fix(point["lat"], point["lon"], captured_at)
        point = point or {"lat": None, "lon": None, "altitude": None, "accuracy": None}
        answers = {"household": household.code, "location": " ".join(str(point[k]) for k in
                                                                      ("lat", "lon", "altitude", "accuracy"))
                   if point["lat"] is not None else None,
                   "visit_type": rng.choice(["routine", "routine", "routine", "followup", "holiday"]),
                   "people_met": rng.choice(["head", "head spouse", "elder", "head child"]),
                   "concerns": rng.choice(CONCERNS), "start": _device_time(captured_at - timedelta(minutes=rng.uniform(8, 25))),
                   "end": _device_time(captured_at)}
        answers = {k: v for k, v in answers.items() if v is not None}
        if rng.random() < 0.15:
            category, text, micro = rng.choice(DEMANDS)
            answers["has_demands"] = "yes"
            answers["demands"] = [{"category": category, "text": text, "is_micro_wish": micro}]
        instance_id = f"uuid:{uuid.UUID(int=rng.getrandbits(128))}"
        # one in ten came from ODK Collect as XML; the rest from the field app's JSON push (no XML kept)
        xml = build_instance_xml(version.xml, answers, instance_id).decode() if count % 10 == 0 else None
        body = xml or repr(sorted(answers.items()))
        submission = Submission(
            instance_id=instance_id, form_version_id=version.id, kind="visit", household_id=household.id,
            area_id=household.area_id, submitter_id=cadre_id, source="openrosa" if xml else "json",
            captured_at=captured_at,
            received_at=received_at, lat=point["lat"], lon=point["lon"], altitude=point["altitude"],
            accuracy=point["accuracy"], is_mock=mock, geo_status=geo.status, geo_distance_m=geo.distance_m,
            geo_reason=geo.reason, answers=answers, raw_xml=xml, review_state=_reviewed(geo.status, captured_at, rng),
            content_hash=hashlib.sha256(body.encode()).hexdigest())
        db.session.add(submission)
        stored.append(lifecycle.Stored(submission, "visit", version.version))
        if geo.status == "anchored":
            anchors[household.id] = (point["lat"], point["lon"])
        count += 1
    db.session.flush()
    stored.sort(key=lambda s: s.submission.captured_at)
    lifecycle.record_stored(None, stored)
    return count


def _device_time(moment) -> str:
    """A phone's timestamp: local time with its offset, as ODK clients write start and end."""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).isoformat(timespec="milliseconds")


def _reviewed(status: str, captured_at, rng) -> str:
    """The manager looked at most flagged visits older than three weeks: approved, has issues, or rejected."""
    if status in ("verified", "anchored") or captured_at > datetime.now(ZoneInfo("UTC")) - timedelta(days=21):
        return "received"
    return rng.choices(["received", "has_issues", "approved", "rejected"], weights=[25, 35, 25, 15])[0]

