"""Demo data: a township of Ninghai county (宁海县, Zhejiang), where 走村不漏户 began.
Four villages, about 400 households clustered around each village centre, eight cadres,
a manager, an admin, a surveyor and visits spread over the last months."""
import math
import random
from datetime import timedelta

from .areas.services import create_area
from .auth.services import create_user
from .extensions import db
from .households.models import Household
from .households.services import link_cadre
from .models_base import utcnow

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
            households.append(household)
    db.session.flush()
    visits = seed_visits(households, rng)
    echo(f"demo: 1 township, {len(VILLAGES)} villages, {len(households)} households, "
         f"{len(cadres)} cadres, {visits} visits")
    return {"households": len(households), "cadres": len(cadres), "visits": visits}


def seed_visits(households, rng) -> int:
    """Visits over the last four months, sent through the same ingest pipeline as devices."""
    from .demo_visits import send_visits
    now = utcnow()
    plan = []
    for household in households:
        for _ in range(rng.choices([0, 1, 2, 3], weights=[30, 40, 20, 10])[0]):
            captured = now - timedelta(days=rng.uniform(1, 120), hours=rng.uniform(0, 8))
            plan.append((household, captured))
    plan.sort(key=lambda item: item[1])
    return send_visits(plan, rng)
