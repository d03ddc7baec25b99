"""Server-rendered pages: thin views over presenters, Jinja templates under templates/."""
from flask import Flask

from mlexp.web import experiments, filters, models, packages, runs, session
from mlexp.web.csrf import csrf_token


def register_web(app: Flask) -> None:
    for bp in (experiments.bp, runs.bp, models.bp, packages.bp, session.bp):
        app.register_blueprint(bp)
    filters.register_filters(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.session_interface = session.PageSessionInterface()
