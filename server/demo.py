"""Demo data: a township of Ninghai county (宁海县, Zhejiang), where 走村不漏户 began, after a year of use.
Four villages, about 400 households clustered around each village centre, eight cadres linked a year ago
(a few households moved to another cadre since), a manager, an admin, a surveyor; a year of visits in
working hours at each category's rhythm, flagged visits of several kinds, a few late entries, requests
with their outcomes, and residents' satisfaction answers."""
import math
import random
from datetime import timedelta

from .areas.services import create_area
from .auth.services import create_user
from .extensions import db
from .households.models import Assignment, Household
from .households.services import link_cadre
from .models_base import utcnow

YEAR = timedelta(days=365)
#: mean days between visits by category (the policy allows 90 / 30 / 30 ...), and their spread
RHYTHM = {"ordinary": (72, 20), "low_income": (25, 6), "elderly_alone": (25, 6), "disabled": (45, 12),
          "left_behind": (45, 12)}

LOGINS = [
    ("admin", "demo-admin", "admin"),
    ("manager", "demo-manager", "manager · 桑洲镇"),
    *[(f"cadre{n:02d}", "demo-cadre", "cadre") for n in range(1, 9)],
    ("surveyor", "demo-surveyor", "surveyor · 桑洲镇"),
]
VILLAGES = [  # code, name, centre (WGS-84), households
    ("NH-SZ-01", "桑洲村", (29.1565, 121.2790), 110),
    ("NH-SZ-02", "南岭村", (29.1440, 121.2655), 95),
    ("NH-SZ-03", "清潭村", (29.1678, 121.2921), 105),
    ("NH-SZ-04", "麻岙村", (29.1352, 121.2887), 90),
]
SURNAMES = "胡王陈叶葛杨李张周徐应邬章潘童严林吴"
GIVEN = "建国志明秀英桂芳国平海军春华玉兰金水明德丽娟永康爱琴根法小龙美珍伟忠"
CADRES = ["胡海燕", "王建军", "陈丽萍", "叶国强", "葛晓东", "杨秀芬", "李志刚", "周美玲"]
CATEGORY_WEIGHTS = {"ordinary": 70, "low_income": 10, "elderly_alone": 10, "disabled": 5, "left_behind": 5}


class _Seeder:
    """Stand-in actor for audit entries written while seeding."""
    id = None
    role = "admin"
    area = None


def _offset(centre, rng, spread_m=260):
    """A point near a village centre (households cluster along lanes)."""
    distance = abs(rng.gauss(0, spread_m))
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111_320
    dlon = distance * math.sin(bearing) / (111_320 * math.cos(math.radians(centre[0])))
    return round(centre[0] + dlat, 6), round(centre[1] + dlon, 6)


def seed(echo=print, rng_seed=7) -> dict:
    """Create the demo township; returns counts."""
    rng = random.Random(rng_seed)
    system = _Seeder()
    county = create_area(system, code="NH", name="宁海县", level="county")
    town = create_area(system, code="NH-SZ", name="桑洲镇", level="township", parent_id=county.id)
    admin = create_user("admin", "demo-admin", "admin", display_name="系统管理员")
    create_user("manager", "demo-manager", "manager", area_id=town.id, display_name="桑洲镇联户办")
    create_user("surveyor", "demo-surveyor", "surveyor", area_id=town.id, display_name="第三方测评员")
    households, cadres = [], []
    for index, (code, name, centre, count) in enumerate(VILLAGES):
        village = create_area(system, code=code, name=name, level="village", parent_id=town.id)
        pair = [create_user(f"cadre{2 * index + k + 1:02d}", "demo-cadre", "cadre", area_id=village.id,
                            display_name=CADRES[2 * index + k], is_party_member=True) for k in (0, 1)]
        cadres += pair
        for n in range(1, count + 1):
            lat, lon = _offset(centre, rng)
            household = Household(
                code=f"{code[3:]}-{n:03d}", area_id=village.id,
                head_name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                address=f"{name}{(n - 1) // 20 + 1}组{n}号", phone=f"13{rng.randint(100000000, 999999999)}",
                size=rng.choice([1, 2, 2, 3, 3, 4, 4, 5, 6]),
                category=rng.choices(list(CATEGORY_WEIGHTS), weights=CATEGORY_WEIGHTS.values())[0],
                lat=lat, lon=lon, location_source="surveyed")
            if n % 37 == 0:  # a few households were never surveyed: the first visit anchors them
                household.lat = household.lon = household.location_source = None
            db.session.add(household)
            db.session.flush()
            link_cadre(household, pair[n % 2].id, actor=admin)
            household.cadre_pair = pair
            households.append(household)
    db.session.flush()
    _date_links(households, rng)
    visits = seed_visits(households, rng)
    from .demo_year import seed_outcomes
    extra = seed_outcomes(households, rng)
    echo(f"demo: 1 township, {len(VILLAGES)} villages, {len(households)} households, "
         f"{len(cadres)} cadres, {visits} visits, {extra['cases']} requests, {extra['answers']} satisfaction answers")
    return {"households": len(households), "cadres": len(cadres), "visits": visits, **extra}


def _date_links(households, rng) -> None:
    """The links began a year ago; one household in 40 moved to the village's other cadre five months ago."""
    now = utcnow()
    start, moved_at = now - YEAR - timedelta(days=3), now - timedelta(days=150)
    for index, household in enumerate(households):
        link = db.session.scalar(db.select(Assignment).filter_by(household_id=household.id, valid_to=None))
        link.valid_from = start
        if index % 40 == 17:
            other = next(c for c in household.cadre_pair if c.id != link.cadre_id)
            link.valid_to = moved_at
            db.session.add(Assignment(household_id=household.id, cadre_id=other.id, valid_from=moved_at))
    db.session.flush()


def seed_visits(households, rng) -> int:
    """A year of visits at each category's rhythm, on working days in working hours (local time); one
    household in 16 has not been visited for months (overdue); sent through the demo's geo checks."""
    from .demo_visits import send_visits, working_hours
    now = utcnow()
    plan = []
    for index, household in enumerate(households):
        mean, spread = RHYTHM.get(household.category, RHYTHM["ordinary"])
        stop = now - timedelta(days=rng.uniform(100, 200)) if index % 16 == 5 else now
        day = now - YEAR + timedelta(days=rng.uniform(0, mean))
        while day < stop - timedelta(hours=12):
            plan.append((household, working_hours(day, rng)))
            day += timedelta(days=max(5.0, rng.gauss(mean, spread)))
    plan.sort(key=lambda item: item[1])
    return send_visits(plan, rng)
