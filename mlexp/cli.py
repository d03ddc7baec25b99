"""Command-line tools: `flask --app app <command>`."""
import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from mlexp.storage.database import init_database
from mlexp.errors import MlflowError


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database tables and the Default experiment if they are missing."""
    init_database(current_app)
    click.echo(f"Database ready at {current_app.config['DATABASE_URI']}")


@click.command("gc")
@with_appcontext
def gc_command():
    """Permanently remove deleted runs and experiments and their package files."""
    from mlexp.services.gc import collect_garbage

    report = collect_garbage()
    for experiment in report.experiments:
        click.echo(f"removed experiment {experiment}")
    for run in report.runs:
        click.echo(f"removed run {run}")
    for folder in report.folders:
        click.echo(f"removed files {folder}")
    for kept in report.kept:
        click.echo(f"kept files {kept}")
    click.echo(f"{len(report.experiments)} experiments, {len(report.runs)} runs removed")


@click.command("demo")
@with_appcontext
def demo_command():
    """Fill an empty instance with sample experiments, runs, metrics and artifacts."""
    from mlexp.services.demo import fill_demo

    try:
        made = fill_demo()
    except MlflowError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Demo ready: {made['experiments']} experiments, {made['runs']} runs. "
               "Start the server and open http://127.0.0.1:5000")


@click.command("backup")
@click.argument("target", type=click.Path(file_okay=False))
@with_appcontext
def backup_command(target):
    """Copy the database and packages into TARGET (new or empty) while the server keeps serving."""
    from mlexp.storage.backup import BackupError, backup_instance

    try:
        made = backup_instance(current_app.config["DATABASE_URI"], current_app.config["PACKAGES_DIR"], target)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    tables = made["tables"]
    click.echo(f"Backup written to {target}: {tables.get('experiments', 0)} experiments, "
               f"{tables.get('runs', 0)} runs, {tables.get('metrics', 0)} metric points, "
               f"{made['package_files']} package files ({made['package_bytes']} bytes)")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
@click.option("--yes", is_flag=True, help="Replace the instance's data without asking.")
@with_appcontext
def restore_command(source, yes):
    """Replace this instance's database and packages with the backup in SOURCE (server stopped)."""
    from mlexp.storage.backup import BackupError
    from mlexp.extensions import db
    from mlexp.storage.restore import read_backup, restore_instance

    try:
        made = read_backup(source)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if not yes:
        click.confirm(f"Replace the data of {current_app.instance_path} with the backup of "
                      f"{made['created_utc']}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # this command's own connections must not count as a running server
    try:
        restore_instance(source, current_app.config["DATABASE_URI"], current_app.config["PACKAGES_DIR"])
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored the backup of {made['created_utc']} into {current_app.instance_path}")


@click.group("tokens")
def tokens_group():
    """Access tokens: once one exists, the API and the pages need a token."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--scope", type=click.Choice(["read", "write"]), default="write", show_default=True,
              help="read: look at everything, change nothing; write: also log and edit.")
@with_appcontext
def tokens_create(name, scope):
    """Make a token called NAME and print it; it is shown this once only."""
    from mlexp.services.tokens import create_token

    try:
        token = create_token(name, scope)
    except MlflowError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(token)
    click.echo(f"Token {name!r} ({scope}) created. Store it now: it cannot be shown again.\n"
               f"Clients: export MLFLOW_TRACKING_TOKEN=<token>", err=True)


@tokens_group.command("list")
@with_appcontext
def tokens_list():
    """Name, scope, creation time and state of every token (never the token itself)."""
    from mlexp.clock import format_ms as timestamp
    from mlexp.services.tokens import list_tokens

    rows = list_tokens()
    if not rows:
        click.echo("No tokens: access is open (to anyone who can reach the server's address).")
    for token in rows:
        state = f"revoked {timestamp(token.revoked_time)}" if token.revoked_time else "active"
        click.echo(f"{token.name}\t{token.scope}\tcreated {timestamp(token.created_time)}\t{state}")


@tokens_group.command("revoke")
@click.argument("name")
@with_appcontext
def tokens_revoke(name):
    """Make the token called NAME stop working (within a second on a running server)."""
    from mlexp.services.tokens import revoke_token

    try:
        revoke_token(name)
    except MlflowError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Token {name!r} revoked.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(gc_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(tokens_group)
