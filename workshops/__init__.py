"""Internet 4all workshop portal: the application factory."""

from importlib import import_module
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from workshops import (
    boundary,
    database,  # noqa: F401  (engine events)
)
from workshops import config as config_module
from workshops.config import PROJECT_ROOT
from workshops.extensions import babel, csrf, db, login_manager, migrate
from workshops.operations.liveness import LivenessProbe

MIGRATIONS_DIRECTORY = str(PROJECT_ROOT / "workshops" / "migrations")


def create_app(config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
        if "SQLALCHEMY_DATABASE_URI" in config:
            app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalise_database_url(
                config["SQLALCHEMY_DATABASE_URI"]
            )
    _configure_engine(app)

    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.wsgi_app = LivenessProbe(app.wsgi_app,
                                 https=app.config["PREFERRED_URL_SCHEME"] == "https")

    from workshops import errors, i18n, logs, metrics, security, static_files
    from workshops.demo import cli as demo_commands

    # First, so that every request (one refused by the CSRF check too) is timed and logged.
    logs.init_app(app)
    metrics.init_app(app)
    _init_extensions(app)
    boundary.install_converters(app)
    _register_blueprints(app)

    static_files.init_app(app)
    boundary.init_app(app)
    errors.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    demo_commands.init_app(app)
    return app


def _configure_engine(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
    # An error's message never repeats its SQL parameters (phones, names) into a log.
    options.setdefault("hide_parameters", True)
    if uri.startswith("sqlite"):
        # Wait for a busy writer instead of failing with "database is locked".
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    else:
        options.setdefault("pool_pre_ping", True)


def _init_extensions(app: Flask) -> None:
    from workshops.i18n import current_language

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=current_language)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please sign in to see this page.")
    login_manager.login_message_category = "info"


# Every domain's blueprint, and the modules that attach its routes, commands and signal
# receivers to it. The app imports them here rather than the domain packages themselves, so
# importing a domain's models loads no views (nor the SMS worker and Twilio client behind them).
BLUEPRINT_MODULES = {
    "home": ("views",),
    "accounts": ("cli", "views"),
    "places": ("cli", "views"),
    "catalogue": ("public_views", "staff_views"),
    "calendars": ("views",),
    "registrations": ("views", "staff_views"),
    "sms": ("cli", "forget", "views"),
    "attendance": ("views",),
    "reach": ("facts", "indexes", "views"),
    "audit": ("views",),
    "privacy": ("cli", "views"),
    "my": ("views",),
    "outcomes": ("views",),
    "operations": ("cli", "views"),
    "voice": ("forget", "views"),
}


def _register_blueprints(app: Flask) -> None:
    from workshops import built_documents, ratelimit  # noqa: F401  (their models)
    from workshops.attendance import models as attendance_models  # noqa: F401
    from workshops.audit import models as audit_models  # noqa: F401
    from workshops.catalogue import version as catalogue_version  # noqa: F401
    from workshops.my import models as my_models  # noqa: F401
    from workshops.notifications import services as notification_receivers  # noqa: F401
    from workshops.sms import models as sms_models  # noqa: F401

    for domain, modules in BLUEPRINT_MODULES.items():
        for module in modules:
            import_module(f"workshops.{domain}.{module}")
        app.register_blueprint(import_module(f"workshops.{domain}").bp)
