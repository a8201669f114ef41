"""Extensions, created unbound; create_app() binds them."""
from flask_babel import Babel
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from .error_schema import ProblemSchema

naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class LianhuApi(Api):
    """flask-smorest's Api, documenting what the API really sends: our problem bodies as every operation's
    error response, and X-Pagination as the JSON text it is (not as an object)."""
    ERROR_SCHEMA = ProblemSchema

    def _register_pagination_header(self):
        self.spec.components.header("PAGINATION", {
            "description": "Pagination metadata (JSON)",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaginationMetadata"}}},
        }, lazy=True)


db = SQLAlchemy(metadata=MetaData(naming_convention=naming))
migrate = Migrate()
api = LianhuApi()
babel = Babel()
csrf = CSRFProtect()
