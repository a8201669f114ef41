"""Household look-ups and updates for ingest: a few queries per batch, not per submission."""
from dataclasses import dataclass

from sqlalchemy import bindparam, case

from server.areas.models import Area
from server.errors import HouseholdUnknown
from server.extensions import db
from server.households.models import Assignment, Household
from server.models_base import UtcDateTime


@dataclass
class HouseholdInfo:
    id: int
    code: str
    area_id: int
    lat: float | None
    lon: float | None
    area_path: str
    cadre_id: int | None


_HOUSEHOLDS = (db.select(Household.id, Household.code, Household.area_id, Household.lat, Household.lon, Area.path,
                         Assignment.cadre_id)
               .join(Area, Area.id == Household.area_id)
               .outerjoin(Assignment, (Assignment.household_id == Household.id) & Assignment.valid_to.is_(None)))
_BY_IDS = _HOUSEHOLDS.where(Household.id.in_(bindparam("values", expanding=True)))
_BY_CODES = _HOUSEHOLDS.where(Household.code.in_(bindparam("values", expanding=True)))
_TABLE = Household.__table__
_AT, _NOW = bindparam("at", type_=UtcDateTime()), bindparam("now", type_=UtcDateTime())
_ANCHOR = (_TABLE.update().where(_TABLE.c.id == bindparam("hid"), _TABLE.c.lat.is_(None))
           .values(lat=bindparam("lat"), lon=bindparam("lon"), location_source="first_visit",
                   version=_TABLE.c.version + 1, updated_at=_NOW))
_LAST = _TABLE.c.last_counted_visit_at
_COUNT = (_TABLE.update().where(_TABLE.c.id == bindparam("hid"))
          .values(last_counted_visit_at=case((_LAST.is_(None), _AT), (_LAST < _AT, _AT), else_=_LAST), updated_at=_NOW))


class Households:
    """The households a batch names, by id and by code, with who may submit for them."""

    def __init__(self, actor):
        self.actor = actor
        self.ids: dict = {}
        self.codes: dict = {}
        self._actor_path = None

    def _load(self, statement, values) -> None:
        for row in db.session.connection().execute(statement, {"values": list(values)}):
            info = HouseholdInfo(*row)
            self.ids[info.id] = info
            self.codes[info.code] = info

    def load_ids(self, ids) -> None:
        wanted = {i for i in ids if isinstance(i, int) and not isinstance(i, bool) and i not in self.ids}
        if wanted:
            self._load(_BY_IDS, wanted)

    def load_codes(self, codes) -> None:
        wanted = {c for c in codes if c not in self.codes}
        if wanted:
            self._load(_BY_CODES, wanted)

    def by_id(self, household_id) -> HouseholdInfo | None:
        self.load_ids([household_id])
        return self.ids.get(household_id)

    def resolve(self, candidate) -> HouseholdInfo | None:
        """The household a candidate names (None when its form asks for none)."""
        if candidate.household_id is not None:
            return self.ids[candidate.household_id]
        if candidate.household_code:
            found = self.codes.get(candidate.household_code)
            if found is None:
                raise HouseholdUnknown(f"No household with code {candidate.household_code!r}.",
                                       household=candidate.household_code)
            return found
        if candidate.spec.household_path and candidate.version.kind in ("visit", "satisfaction"):
            raise HouseholdUnknown("The submission does not say which household it is about.")
        return None

    def may_submit(self, household: HouseholdInfo) -> bool:
        """Cadres: their linked households; surveyors and managers: their area subtree; admins: all."""
        role = self.actor.role
        if role == "admin":
            return True
        if role == "cadre":
            return household.cadre_id == self.actor.id
        if self._actor_path is None:
            self._actor_path = db.session.scalar(db.select(Area.path).where(Area.id == self.actor.area_id)) or "\0"
        return household.area_path.startswith(self._actor_path)

    def note_visit(self, household: HouseholdInfo, candidate, geo, config) -> None:
        """Later items of the batch compare with the location an anchoring visit sets."""
        if geo.status == "anchored" and candidate.point:
            household.lat, household.lon = candidate.point["lat"], candidate.point["lon"]


def apply_visits(created, config, now) -> None:
    """Last counted visit (newest captured_at wins) and first-visit anchoring, in bulk."""
    counted, anchored = [], []
    for outcome, _ in created:
        s = outcome.submission
        if s.household_id is None:
            continue
        if s.kind == "visit" and s.geo_status in config["COUNTED_GEO_STATUSES"]:
            counted.append({"hid": s.household_id, "at": s.captured_at, "now": now})
        if s.geo_status == "anchored":
            anchored.append({"hid": s.household_id, "lat": s.lat, "lon": s.lon, "now": now})
    if anchored:
        db.session.connection().execute(_ANCHOR, anchored)
    if counted:
        db.session.connection().execute(_COUNT, counted)
