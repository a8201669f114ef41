"""`flask` commands: setup, users, forms, households import, demo seed."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade
from tqdm import tqdm

from .extensions import db

users_cli = AppGroup("users", help="Manage users.")
forms_cli = AppGroup("forms", help="Publish XLSForms.")
households_cli = AppGroup("households", help="Households.")
demo_cli = AppGroup("demo", help="Demo data.")
coverage_cli = AppGroup("coverage", help="The coverage summary.")


def _system_actor():
    from .auth.models import User
    admin = db.session.scalar(db.select(User).filter_by(role="admin").order_by(User.id))
    if admin is None:
        raise click.ClickException("Create an admin first: flask users create admin PASSWORD --role admin")
    return admin


@click.command("setup")
def setup_command():
    """Upgrade the database to the newest schema and publish the built-in forms."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    from .surveys.services import publish_builtins
    published = publish_builtins()
    db.session.commit()
    for version in published:
        click.echo(f"published {version.form.form_id} version {version.version}")


@users_cli.command("create")
@click.argument("username")
@click.argument("password")
@click.option("--role", type=click.Choice(["admin", "manager", "cadre", "surveyor"]), required=True)
@click.option("--area", "area_code", help="Area code (managers, surveyors, cadres)")
@click.option("--name", "display_name", default="")
def create_user(username, password, role, area_code, display_name):
    """Create a user."""
    from .areas.services import find_by_code
    from .auth.services import create_user as create
    area = find_by_code(area_code) if area_code else None
    if area_code and area is None:
        raise click.ClickException(f"Unknown area {area_code}")
    from .errors import Problem
    try:
        create(username, password, role, area_id=area.id if area else None, display_name=display_name)
    except Problem as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"created {role} {username}")


@users_cli.command("set-password")
@click.argument("username")
@click.argument("password")
def set_password(username, password):
    """Give a user a new password; their web sessions end."""
    from .auth.models import User
    from .auth.services import set_password as change
    from .errors import Problem
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None:
        raise click.ClickException(f"No user {username}")
    try:
        change(user, password)
    except Problem as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"password changed for {username}; their web sessions are signed out")


@click.command("backup")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup_command(directory):
    """Write a consistent copy of the database and the attachments into DIRECTORY (server may keep running)."""
    from .backup import BackupError, make_backup
    try:
        summary = make_backup(directory)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup in {directory}: database ({summary['engine']}), {summary['files']} attachment files")


@click.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already has data.")
def restore_command(directory, force):
    """Load a backup made by `flask backup` into this instance's (empty) database and attachment folder."""
    from .backup import BackupError, restore_backup
    try:
        summary = restore_backup(directory, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored from {directory}: database ({summary['engine']}), {summary['files']} attachment files")


@forms_cli.command("upload")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(["visit", "satisfaction", "other"]))
def upload_form(path, kind):
    """Publish an XLSForm (.xlsx or .xls) as a new form or a new version."""
    from .errors import Problem
    from .surveys.services import upload_xlsform
    try:
        version = upload_xlsform(_system_actor(), path.read_bytes(), kind, filename=path.name)
    except Problem as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"published {version.form.form_id} version {version.version} md5:{version.md5}")


@households_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--skip-errors", is_flag=True, help="Import the good rows and report the bad ones.")
def import_households(path, skip_errors):
    """Import households from a CSV or XLSX file."""
    from .errors import Problem
    from .households.importer import import_households as run
    actor = _system_actor()
    with tqdm(total=0, unit="rows", desc="import") as bar:
        def progress(done, total):
            bar.total = total
            bar.n = done
            bar.refresh()
        try:
            result = run(actor, path.name, path.read_bytes(), skip_errors=skip_errors, progress=progress)
        except Problem as exc:
            db.session.rollback()
            _echo_row_errors(exc.details.get("errors", []))
            hint = " (use --skip-errors to import the good rows)" if exc.details.get("errors") else ""
            raise click.ClickException(exc.message + hint) from exc
    _echo_row_errors(result["errors"])
    db.session.commit()
    click.echo(f"created {result['created']}, updated {result['updated']}, unchanged {result['unchanged']}, "
               f"linked {result['linked']}, "
               f"skipped {result['skipped']}")


def _echo_row_errors(errors: list[dict], limit: int = 50) -> None:
    for error in errors[:limit]:
        click.echo(f"row {error['row']}: {error['field']}: {error['reason']}", err=True)
    if len(errors) > limit:
        click.echo(f"... and {len(errors) - limit} more", err=True)


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
def seed_demo(if_empty):
    """Load the demo township (Ninghai county), its households, cadres and visits."""
    from .auth.models import User
    from .demo import LOGINS, seed
    if if_empty and db.session.scalar(db.select(User.id).limit(1)):
        click.echo("database already has data; demo not loaded")
        return
    seed(echo=click.echo)
    db.session.commit()
    click.echo("Demo logins:")
    for username, password, role in LOGINS:
        click.echo(f"  {username:<10} / {password:<14} ({role})")


@coverage_cli.command("rebuild-summary")
def rebuild_summary_command():
    """Recompute the coverage summary from the submissions, then the per-village and per-cadre
    aggregates from it (after changing TIMEZONE or COUNTED_GEO_STATUSES, or on a data set loaded in bulk)."""
    from .coverage.aggregates import rebuild_aggregates
    from .coverage.summary import rebuild_summary
    rows = rebuild_summary()
    counts = rebuild_aggregates()
    db.session.commit()
    click.echo(f"coverage summary rebuilt: {rows} rows; aggregates: {counts['area_keys']} village-period rows, "
               f"{counts['area_households']} village-category-month rows, {counts['cadre_keys']} cadre-period rows")


@coverage_cli.command("check-summary")
def check_summary_command():
    """Compare the coverage summary with the raw submissions and the aggregates with the summary and
    the households; exits 1 when they differ."""
    from .coverage.aggregates import check_aggregates
    from .coverage.summary import check_summary
    result = check_summary()
    if result["missing"] or result["extra"]:
        click.echo(f"coverage summary differs from the submissions: {result['missing']} rows missing or wrong, "
                   f"{result['extra']} extra; households {result['households']}. "
                   "Run `flask coverage rebuild-summary`.", err=True)
        raise SystemExit(1)
    wrong = check_aggregates()
    if any(wrong.values()):
        click.echo(f"coverage aggregates differ from a recomputation: {wrong['area_keys']} village-period rows, "
                   f"{wrong['area_households']} village-category-month rows, {wrong['area_sizes']} village sizes, "
                   f"{wrong['cadre_keys']} cadre-period rows, {wrong['cadre_households']} cadre-category-month "
                   f"rows, {wrong['cadre_sizes']} cadre sizes. Run `flask coverage rebuild-summary`.",
                   err=True)
        raise SystemExit(1)
    click.echo(f"coverage summary matches the submissions ({result['rows']} rows), and the aggregates match it")


def register_cli(app):
    """Attach the command groups to the app."""
    for command in (setup_command, users_cli, forms_cli, households_cli, demo_cli, coverage_cli, backup_command,
                    restore_command):
        app.cli.add_command(command)
