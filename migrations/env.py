"""Alembic environment for mlexp, used two ways.

- `flask --app app db …` (Flask-Migrate): the app is loaded, its engine and Flask-Migrate's
  options (render_as_batch, compare_type) come from `current_app.extensions['migrate']`.
- Start-up (mlexp/storage/migrate.py): the caller passes an open connection in
  `config.attributes["connection"]`, already inside its transaction, so the whole upgrade
  commits or rolls back as one; logging is left as the server configured it.

render_as_batch is on everywhere: SQLite can only ALTER a table by copying it, which Alembic's
batch mode does for us (on PostgreSQL batch operations are plain ALTERs).
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import mlexp.models  # noqa: F401  (every table on db.metadata, for autogenerate)
from mlexp.extensions import db
from mlexp.storage.migrate import lock_database_for_migration

config = context.config
logger = logging.getLogger('alembic.env')

# The same options the start-up path and Flask-Migrate use (Flask-Migrate's are its defaults).
CONFIGURE_ARGS = {'render_as_batch': True, 'compare_type': True}


def process_revision_directives(context, revision, directives):
    """`flask db migrate` writes no empty revision when the models did not change."""
    if getattr(config.cmd_opts, 'autogenerate', False):
        script = directives[0]
        if script.upgrade_ops.is_empty():
            directives[:] = []
            logger.info('No changes in schema detected.')


def run_migrations_offline():
    """`flask db upgrade --sql`: print the SQL instead of running it (for the app's database, or the
    dialect of `sqlalchemy.url` when the caller set one, e.g. postgresql://)."""
    url = config.get_main_option('sqlalchemy.url') or current_app.extensions['migrate'].db.engine.url
    context.configure(url=url, target_metadata=db.metadata, literal_binds=True, **CONFIGURE_ARGS)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_on(connection, configure_args):
    context.configure(connection=connection, target_metadata=db.metadata, **configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Flask-Migrate's command line: a connection of the app's own engine."""
    conf_args = {**CONFIGURE_ARGS, **current_app.extensions['migrate'].configure_args}
    conf_args.setdefault('process_revision_directives', process_revision_directives)
    # mlexp_write: SQLite takes the write lock up front (BEGIN IMMEDIATE), see mlexp/storage/database.py;
    # on PostgreSQL an advisory lock keeps servers starting on other hosts waiting meanwhile.
    with db.engine.connect().execution_options(mlexp_write=True) as connection, connection.begin():
        lock_database_for_migration(connection)
        run_migrations_on(connection, conf_args)


given = config.attributes.get('connection')
if given is not None:
    run_migrations_on(given, CONFIGURE_ARGS)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        run_migrations_offline()
    else:
        run_migrations_online()
