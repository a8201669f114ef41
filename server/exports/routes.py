"""/api/v1/exports: coverage lists and submissions as CSV, XLSX or GeoJSON, streamed."""
from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..coverage.periods import parse_period
from ..errors import NotFound
from ..extensions import api, csrf
from . import services
from .formats import WRITERS
from .schemas import CoverageExportArgsSchema, SubmissionExportArgsSchema

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="CSV, XLSX and GeoJSON exports")


def download(columns, rows, fmt: str, name: str) -> Response:
    """A streamed attachment in the asked format."""
    writer, mimetype = WRITERS[fmt]
    response = Response(stream_with_context(writer(columns, rows)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def check_format(fmt: str, allowed: tuple) -> None:
    if fmt not in allowed:
        raise NotFound(f"No export format {fmt!r}; use one of {', '.join(allowed)}.")


@blp.route("/coverage.<fmt>")
class CoverageExport(MethodView):
    @blp.arguments(CoverageExportArgsSchema, location="query")
    @blp.response(200, description="coverage.csv or coverage.xlsx: one row per household")
    def get(self, args, fmt):
        """Households with their coverage status in the period (filter by status, area, cadre)."""
        check_format(fmt, ("csv", "xlsx"))
        period = parse_period(args.get("period"), args.get("from_"), args.get("to"))
        columns, rows = services.coverage_export(current_actor(), period, area_id=args.get("area"),
                                                 status=args.get("status"), cadre_id=args.get("cadre"))
        return download(columns, rows, fmt, f"coverage-{args.get('status') or 'all'}-{period.label}")


@blp.route("/submissions.<fmt>")
class SubmissionExport(MethodView):
    @blp.arguments(SubmissionExportArgsSchema, location="query")
    @blp.response(200, description="submissions.csv, .xlsx or .geojson: one column per form field")
    def get(self, args, fmt):
        """A form's submissions in scope (a cadre: their own; never satisfaction answers to a cadre)."""
        check_format(fmt, ("csv", "xlsx", "geojson"))
        period = parse_period(args.get("period"), args.get("from_"), args.get("to"), default=None)
        columns, rows = services.submissions_export(current_actor(), args["form"], period=period,
                                                    area_id=args.get("area"))
        return download(columns, rows, fmt, f"{args['form']}-{period.label if period else 'all'}")


def register(app):
    api.register_blueprint(blp)
    csrf.exempt(blp)
