"""Server-rendered pages: thin views over presenters, Jinja templates under templates/."""
from flask import Flask

from mlexp.web import filters, packages


def register_web(app: Flask) -> None:
    app.register_blueprint(packages.bp)
    filters.register_filters(app)
