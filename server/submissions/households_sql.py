"""Household look-ups for ingest: a few queries per batch, not per submission."""
from dataclasses import dataclass

from sqlalchemy import bindparam

from server.areas.models import Area
from server.errors import HouseholdUnknown
from server.extensions import db
from server.households import access
from server.households.models import Assignment, Household


@dataclass
class HouseholdInfo:
    id: int
    code: str
    area_id: int
    lat: float | None
    lon: float | None
    area_path: str
    cadre_id: int | None
    #: the reference location as stored (lat/lon above move when a visit of the batch anchors it)
    location_source: str | None = None
    ref_lat: float | None = None
    ref_lon: float | None = None


_HOUSEHOLDS = (db.select(Household.id, Household.code, Household.area_id, Household.lat, Household.lon, Area.path,
                         Assignment.cadre_id, Household.location_source, Household.lat, Household.lon)
               .join(Area, Area.id == Household.area_id)
               .outerjoin(Assignment, (Assignment.household_id == Household.id) & Assignment.valid_to.is_(None)))
_BY_IDS = _HOUSEHOLDS.where(Household.id.in_(bindparam("values", expanding=True)))
_BY_CODES = _HOUSEHOLDS.where(Household.code.in_(bindparam("values", expanding=True)))


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

    def references(self, household_ids) -> dict:
        """id -> (lat, lon, location_source, area_id) as stored, of households already loaded."""
        return {i: (h.ref_lat, h.ref_lon, h.location_source, h.area_id)
                for i in household_ids if (h := self.ids.get(i)) is not None}

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
        """Whether the actor may act on this household (the rule in server/households/access.py)."""
        if self._actor_path is None and self.actor.role in ("manager", "surveyor"):
            self._actor_path = access.actor_area_path(self.actor) or ""
        return access.may_act(self.actor, household_id=household.id, cadre_id=household.cadre_id,
                              area_path=household.area_path, actor_path=self._actor_path or None)

    def note_visit(self, household: HouseholdInfo, candidate, geo, config) -> None:
        """Later items of the batch compare with the location an anchoring visit sets."""
        if geo.status == "anchored" and candidate.point:
            household.lat, household.lon = candidate.point["lat"], candidate.point["lon"]
