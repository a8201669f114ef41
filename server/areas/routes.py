"""/api/v1/areas"""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..extensions import db
from ..pagination import page_of
from . import services
from .schemas import AreaCreateSchema, AreaQueryArgsSchema, AreaSchema, AreaUpdateSchema

blp = Blueprint("areas", __name__, url_prefix="/api/v1/areas", description="Area tree")


@blp.route("")
class Areas(MethodView):
    @blp.arguments(AreaQueryArgsSchema, location="query")
    @blp.response(200, AreaSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Areas in your scope, in tree order."""
        query = services.list_areas(current_actor(), args.get("parent_id"), args.get("level"))
        return page_of(query, pagination_parameters)

    @blp.arguments(AreaCreateSchema)
    @blp.response(201, AreaSchema)
    def post(self, data):
        """Create an area under one of yours."""
        area = services.create_area(current_actor(), **data)
        db.session.commit()
        return area


@blp.route("/<int:area_id>")
class AreaById(MethodView):
    @blp.response(200, AreaSchema)
    def get(self, area_id):
        """One area."""
        return services.get_in_scope(current_actor(), area_id)

    @blp.arguments(AreaUpdateSchema)
    @blp.response(200, AreaSchema)
    def patch(self, data, area_id):
        """Edit an area."""
        actor = current_actor()
        area = services.update_area(actor, services.get_in_scope(actor, area_id), data)
        db.session.commit()
        return area

    @blp.response(204)
    def delete(self, area_id):
        """Delete an empty area."""
        actor = current_actor()
        services.delete_area(actor, services.get_in_scope(actor, area_id))
        db.session.commit()
