"""/api/v1/coverage: reports by area or cadre, household lists, the map."""
import orjson
from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..extensions import api, csrf
from . import maps, services
from .periods import parse_period
from .schemas import (CoverageArgsSchema, CoverageHouseholdSchema, CoverageHouseholdsArgsSchema,
                      CoverageReportSchema, MapArgsSchema)

blp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage", description="Visit coverage")


def period_of(args):
    """The period asked for (422 when it cannot be read); this quarter by default."""
    return parse_period(args.get("period"), args.get("from_"), args.get("to"))


@blp.route("")
class Coverage(MethodView):
    @blp.arguments(CoverageArgsSchema, location="query")
    @blp.response(200, CoverageReportSchema)
    def get(self, args):
        """Coverage in a period: one row per child area (or per cadre), plus a total."""
        actor, period = current_actor(), period_of(args)
        report = services.coverage_report(actor, period, area_id=args.get("area"), by=args["by"],
                                          level=args.get("level"), cadre_id=args.get("cadre"))
        # thousands of rows (20,000 for a county by cadre): already plain values, written by orjson
        # with no schema pass (the schema documents them)
        return Response(orjson.dumps(report), mimetype="application/json")


@blp.route("/households")
class CoverageHouseholds(MethodView):
    @blp.arguments(CoverageHouseholdsArgsSchema, location="query")
    @blp.response(200, CoverageHouseholdSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Households with their status in the period (filter: visited, unvisited, overdue)."""
        actor, period = current_actor(), period_of(args)
        return services.page_households(actor, period, pagination_parameters, area_id=args.get("area"),
                                        status=args.get("status"), cadre_id=args.get("cadre"))


@blp.route("/map.geojson")
class CoverageMap(MethodView):
    @blp.arguments(MapArgsSchema, location="query")
    @blp.response(200, description="GeoJSON FeatureCollection; status: overdue, visited, flagged, unvisited")
    def get(self, args):
        """Located households as points coloured by status (streamed)."""
        actor, period = current_actor(), period_of(args)
        chunks = maps.map_geojson(actor, period, area_id=args.get("area"))
        return Response(stream_with_context(chunks), mimetype="application/geo+json")


@blp.route("/map.json")
class CoverageMapCompact(MethodView):
    @blp.arguments(MapArgsSchema, location="query")
    @blp.response(200, description="The map.geojson households as arrays: fields, statuses, rows, cadres")
    def get(self, args):
        """The map's households in compact form (what the map page loads; streamed): one array per
        household in `fields` order, status as an index into `statuses`, cadre as a key of `cadres`."""
        actor, period = current_actor(), period_of(args)
        chunks = maps.map_compact(actor, period, area_id=args.get("area"))
        return Response(stream_with_context(chunks), mimetype="application/json")


def register(app):
    api.register_blueprint(blp)
    csrf.exempt(blp)
