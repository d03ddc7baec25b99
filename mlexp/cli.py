"""Command-line tools: `flask --app app <command>`."""
import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from mlexp.database import init_database
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


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(gc_command)
    app.cli.add_command(demo_command)
