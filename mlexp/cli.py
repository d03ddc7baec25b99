"""Command-line tools: `flask --app app <command>`."""
import click
from flask import Flask, current_app

from mlexp.database import init_database


@click.command("init-db")
def init_db_command():
    """Create the database tables and the Default experiment if they are missing."""
    init_database(current_app)
    click.echo(f"Database ready at {current_app.config['DATABASE_URI']}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(init_db_command)
