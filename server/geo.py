"""Geolocation checks (DESIGN §5): the only module that imports geopy."""
import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from geopy.distance import geodesic

#: one reusable WGS-84 geodesic measurer; measure() skips building a result object per call
_GEODESIC = geodesic()
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class GeoResult:
    status: str
    distance_m: float | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Fix:
    """A captured location at a time (a previous visit, for the travel-speed check)."""
    lat: float
    lon: float
    captured_at: datetime


@functools.lru_cache(maxsize=4096)
def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic (WGS-84) distance in metres (remembered: ingest's first look and the truthfulness
    checks both measure a fix against its household's reference, and the geodesic is costly)."""
    return _GEODESIC.measure((lat1, lon1), (lat2, lon2)) * 1000.0


def check_location(point: dict | None, household_lat: float | None, household_lon: float | None, *,
                   captured_at: datetime, received_at: datetime, config,
                   is_mock: bool = False, previous: Fix | None = None,
                   has_household: bool = True) -> GeoResult:
    """The geo status of a captured point against a household's reference location.

    `point` is {"lat", "lon", "accuracy"}; `config` maps GEO_RADIUS_M, GEO_MAX_ACCURACY_M,
    GEO_MAX_SPEED_KMH and MAX_OFFLINE_DAYS; `previous` is the same submitter's previous fix.
    """
    if not point or point.get("lat") is None or point.get("lon") is None:
        return GeoResult("no_fix", None, "no location was captured")
    lat, lon, accuracy = point["lat"], point["lon"], point.get("accuracy")
    reason = _suspect_reason(lat, lon, accuracy, is_mock, captured_at, received_at, previous, config)
    if reason:
        has_reference = household_lat is not None and household_lon is not None
        distance = distance_m(lat, lon, household_lat, household_lon) if has_reference else None
        return GeoResult("suspect", round(distance, 1) if distance is not None else None, reason)
    if not has_household:
        return GeoResult("no_fix", None, "no household to compare with")
    return location_status(point, household_lat, household_lon, config)


def location_status(point: dict, household_lat: float | None, household_lon: float | None, config) -> GeoResult:
    """Where a fix puts the phone against the household's reference, suspicion apart.

    A fix better than GEO_MAX_ACCURACY_M is verified when the house lies within GEO_RADIUS_M of it
    allowing for the accuracy; a poorer fix (indoors) still counts when its whole uncertainty circle
    lies within GEO_NEAR_M of the house. Only good fixes anchor a household without a reference.
    """
    lat, lon, accuracy = point["lat"], point["lon"], point.get("accuracy")
    has_reference = household_lat is not None and household_lon is not None
    distance = distance_m(lat, lon, household_lat, household_lon) if has_reference else None
    rounded = round(distance, 1) if distance is not None else None
    if accuracy is None:
        return GeoResult("low_accuracy", rounded, "the accuracy was not reported")
    good = accuracy <= config["GEO_MAX_ACCURACY_M"]
    if not has_reference:
        if good:
            return GeoResult("anchored", None, "the household had no reference location; this visit sets it")
        return GeoResult("low_accuracy", None,
                         f"accuracy {accuracy:g} m is worse than {config['GEO_MAX_ACCURACY_M']:g} m")
    if good and distance - accuracy <= config["GEO_RADIUS_M"]:
        return GeoResult("verified", rounded, None)
    if not good and distance + accuracy <= config.get("GEO_NEAR_M", config["GEO_RADIUS_M"]):
        return GeoResult("verified", rounded, None)
    if not good and distance - accuracy <= config["GEO_RADIUS_M"]:
        return GeoResult("low_accuracy", rounded,
                         f"accuracy {accuracy:g} m is worse than {config['GEO_MAX_ACCURACY_M']:g} m")
    return GeoResult("far", rounded, f"{distance:.0f} m from the household (accuracy {accuracy:g} m)")


def _rough_km(lat1, lon1, lat2, lon2) -> float:
    """Equirectangular distance: within 1 % of the geodesic under 1 degree apart; only a pre-filter."""
    if abs(lat1 - lat2) > 1 or abs(lon1 - lon2) > 1:
        return float("inf")
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371.0 * math.hypot(x, math.radians(lat2 - lat1))


def _suspect_reason(lat, lon, accuracy, is_mock, captured_at, received_at, previous, config) -> str | None:
    """Why a fix cannot be trusted, or None."""
    if is_mock:
        return "the device reported a mock location"
    if accuracy is not None and accuracy == 0:
        return "accuracy exactly 0 (a mock location provider)"
    if captured_at - received_at > CLOCK_SKEW:
        return "captured_at is in the future (device clock)"
    if received_at - captured_at > timedelta(days=config["MAX_OFFLINE_DAYS"]):
        return f"captured_at is more than {config['MAX_OFFLINE_DAYS']} days before it was received"
    if previous is not None:
        hours = abs((captured_at - previous.captured_at).total_seconds()) / 3600.0
        limit = config["GEO_MAX_SPEED_KMH"]
        threshold = max(0.5, limit * max(hours, 1 / 3600))
        if _rough_km(lat, lon, previous.lat, previous.lon) < threshold / 1.1:
            return None  # clearly slower than the limit: no geodesic needed
        km = distance_m(lat, lon, previous.lat, previous.lon) / 1000.0
        if km > threshold:
            speed = km / max(hours, 1 / 3600)
            return f"{km:.1f} km from the previous visit in {hours * 60:.0f} min ({speed:.0f} km/h)"
    return None
