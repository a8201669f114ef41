"""Shapes of users and devices on the API."""
from marshmallow import Schema, fields, validate

from ..areas.schemas import Id
from .models import ROLES


class DeviceCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    name = fields.String(load_default="device", validate=validate.Length(max=100))


class DeviceTokenSchema(Schema):
    device_id = fields.Integer()
    token = fields.String(metadata={"description": "Shown once; send as `Authorization: Bearer <token>`."})
    user = fields.Nested(lambda: TokenUserSchema())


class DeviceSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class UserSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    area_id = fields.Integer(allow_none=True)
    phone = fields.String(allow_none=True)
    is_party_member = fields.Boolean()
    is_active = fields.Boolean()


class TokenUserSchema(Schema):
    """Who a new token belongs to."""
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    role = fields.String()
    area_id = fields.Integer(allow_none=True)


class UserCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_.-]{2,64}$"))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    area_id = Id(allow_none=True)
    display_name = fields.String(load_default="", validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=32))
    is_party_member = fields.Boolean(load_default=False)


class UserQueryArgsSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
