"""/api/v1/exports: coverage lists and submissions as CSV, XLSX or GeoJSON, streamed."""
from flask import Response, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..coverage.periods import parse_period
from ..errors import NotFound
from ..extensions import api, csrf
from ..coverage.periods import zone
from . import services
from .columns import meta_header
from .formats import WRITERS
from .schemas import CoverageExportArgsSchema, FormZipArgsSchema, SubmissionExportArgsSchema
from .tables import Filters
from .zip_export import submissions_zip

blp = Blueprint("exports", __name__, url_prefix="/api/v1/exports", description="CSV, XLSX and GeoJSON exports")
forms_blp = Blueprint("form_exports", __name__, url_prefix="/api/v1/forms",
                      description="A form's submissions as a zip of CSVs (main table + one per repeat)")


def download(columns, rows, fmt: str, name: str, **options) -> Response:
    """A streamed attachment in the asked format."""
    writer, mimetype = WRITERS[fmt]
    response = Response(stream_with_context(writer(columns, rows, **options)), mimetype=mimetype)
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
                                                 status=args.get("status"), cadre_id=args.get("cadre"),
                                                 lang=args.get("labels"))
        return download(columns, rows, fmt, f"coverage-{args.get('status') or 'all'}-{period.label}")


@blp.route("/submissions.<fmt>")
class SubmissionExport(MethodView):
    @blp.arguments(SubmissionExportArgsSchema, location="query")
    @blp.response(200, description="submissions.csv, .xlsx or .geojson: one column per form field")
    def get(self, args, fmt):
        """A form's submissions in scope (a cadre: their own; never satisfaction answers to a cadre)."""
        check_format(fmt, ("csv", "xlsx", "geojson"))
        period = parse_period(args.get("period"), args.get("from_"), args.get("to"), default=None)
        lang = args.get("labels")
        filters = {k: args.get(k) for k in ("cadre", "household", "geo_status", "review_state", "flagged")}
        columns, rows = services.submissions_export(current_actor(), args["form"], period=period,
                                                    area_id=args.get("area"), lang=lang, filters=filters)
        point = {"lat": meta_header("lat", lang), "lon": meta_header("lon", lang)} if fmt == "geojson" else {}
        return download(columns, rows, fmt, f"{args['form']}-{period.label if period else 'all'}", **point)


@forms_blp.route("/<form_id>/submissions.csv.zip")
class FormSubmissionsZip(MethodView):
    @forms_blp.arguments(FormZipArgsSchema, location="query")
    @forms_blp.response(200, description="<form>.csv, <form>-<repeat>.csv per repeat, media/ when asked",
                        content_type="application/zip")
    def get(self, args, form_id):
        """Submissions in scope as ODK Central's csv.zip: keys join every repeat row to its parent."""
        period = parse_period(args.get("period"), args.get("from_"), args.get("to"), default=None)
        filters = Filters(period=period, area_id=args.get("area"), review_state=args.get("review_state"),
                          geo_status=args.get("geo_status"))
        form, chunks = submissions_zip(current_actor(), form_id, filters, lang=args.get("labels"),
                                       attachments=args["attachments"], tz=zone())
        response = Response(stream_with_context(chunks), mimetype="application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="{form.form_id}.csv.zip"'
        return response


def register(app):
    for blueprint in (blp, forms_blp):
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)
