"""/api/v1/devices (tokens), /api/v1/users and /api/v1/me."""
from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import db
from . import services
from .schemas import (DeviceCreateSchema, DeviceSchema, DeviceTokenSchema, UserCreateSchema,
                      UserQueryArgsSchema, UserSchema)

blp = Blueprint("devices", __name__, url_prefix="/api/v1/devices", description="Device tokens")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1", description="Users")


@blp.after_app_request
def save_last_seen(response):
    """A device that only reads (pull, form list) still updates its last-seen time."""
    if g.pop("device_seen", False) and request.method in services.SAFE_METHODS and response.status_code < 400:
        db.session.commit()
    return response


@blp.route("")
class Devices(MethodView):
    @blp.response(200, DeviceSchema(many=True))
    def get(self):
        """List your device tokens (admins: all)."""
        return services.list_devices(services.current_actor())

    @blp.arguments(DeviceCreateSchema)
    @blp.response(201, DeviceTokenSchema)
    def post(self, data):
        """Sign in with username and password; get a device token (shown once)."""
        user = services.authenticate(data["username"], data["password"], request.remote_addr)
        device, token = services.issue_device(user, data["name"])
        db.session.commit()
        return {"device_id": device.id, "token": token, "user": user}


@blp.route("/<int:device_id>")
class DeviceById(MethodView):
    @blp.response(204)
    def delete(self, device_id):
        """Revoke a device token (its owner or an admin)."""
        services.revoke_device(services.current_actor(), device_id)
        db.session.commit()


@users_blp.route("/me")
class Me(MethodView):
    @users_blp.response(200, UserSchema)
    def get(self):
        """The signed-in user."""
        return services.current_actor()


@users_blp.route("/users")
class Users(MethodView):
    @users_blp.arguments(UserQueryArgsSchema, location="query")
    @users_blp.response(200, UserSchema(many=True))
    def get(self, args):
        """Users in your scope (admins and managers)."""
        return services.list_users(services.current_actor(), args.get("role"))

    @users_blp.arguments(UserCreateSchema)
    @users_blp.response(201, UserSchema)
    def post(self, data):
        """Create a user (admins; managers create cadres and surveyors in their subtree)."""
        user = services.create_user_in_scope(services.current_actor(), data)
        db.session.commit()
        return user
