"""Lianhu (联户): the app factory, the one module that wires every package."""
import os

from flask import Flask, has_request_context, request, session
from sqlalchemy import event

from .config import DEV_SECRET_KEY, INSTANCE, ROOT, Config
from .errors import register_error_handlers
from .problem_texts import is_device_request
from .extensions import api, babel, csrf, db, migrate


def select_locale() -> str:
    """Chinese by default; ?lang=en (remembered in the session) switches. Commands (no request) speak English.
    A device (a token or Basic credentials: the field app, ODK Collect) has no session: it says its language
    by Accept-Language, and gets Chinese when it names neither zh nor en (server/problem_texts.py)."""
    if not has_request_context():
        return "en"
    lang = request.args.get("lang")
    if lang in ("zh", "en"):
        session["lang"] = lang
        return lang
    if is_device_request() and request.accept_languages:
        return request.accept_languages.best_match(("zh", "en"), default="zh")
    return session.get("lang", "zh")


def _sqlite_pragmas(engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


#: packages that register their own blueprints with register(app)
BLUEPRINT_MODULES = ("sync.routes", "server.submissions.routes", "server.coverage.routes",
                     "server.exports.routes", "server.exports.odata_routes", "server.cases.routes",
                     "server.satisfaction.routes",
                     "server.scorecards.routes", "server.fieldapp.routes")


def register_blueprints(app: Flask) -> None:
    """Every blueprint is registered here and nowhere else."""
    import importlib

    from .areas.routes import blp as areas_blp
    from .auth.routes import blp as auth_blp, users_blp
    from .households.routes import blp as households_blp
    from .surveys.routes import blp as forms_blp
    from .web.routes import bp as web_bp

    for blp in (auth_blp, users_blp, areas_blp, households_blp, forms_blp):
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.register_blueprint(web_bp)
    for name in BLUEPRINT_MODULES:
        importlib.import_module(name).register(app)


def create_app(config: type | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI."""
    app = Flask(__name__, instance_path=str(INSTANCE))
    app.config.from_object(config or Config)
    if not (app.config["DEVELOPMENT"] or app.testing) and app.config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise RuntimeError("Set SECRET_KEY in the environment: the built-in one is for development only.")
    os.makedirs(app.config["ATTACHMENT_DIR"], exist_ok=True)

    db.init_app(app)
    from . import models  # noqa: F401
    migrate.init_app(app, db, directory=str(ROOT / "server" / "migrations"), render_as_batch=True)
    api.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    with app.app_context():
        from . import epochs
        epochs.install(db.engine)
        if db.engine.dialect.name == "sqlite":
            _sqlite_pragmas(db.engine)
            if app.config["SQLITE_WRITE_QUEUE"]:
                from . import sqlite_writes
                sqlite_writes.install(db.engine, db.engine.url.database)

    register_blueprints(app)
    from .compression import register as register_compression
    register_compression(app)
    register_error_handlers(app)
    from . import security
    security.init_app(app)
    from .cli import register_cli
    register_cli(app)
    return app
