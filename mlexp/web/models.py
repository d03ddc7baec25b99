"""Model registry pages: the model list, a model, a version, and "promote" from a run page."""
from flask import Blueprint, redirect, render_template, request, url_for

from mlexp.services import registry
from mlexp.web import model_presenters as presenters
from mlexp.web.csrf import verify_csrf

bp = Blueprint("models", __name__)


@bp.get("/models")
def index():
    page = presenters.models_page(query=request.args.get("q", ""), sort=request.args.get("sort", "updated"),
                                  descending=request.args.get("dir", "desc") == "desc")
    return render_template("models/index.html", page=page)


@bp.get("/models/<name>")
def show(name):
    return render_template("models/show.html", page=presenters.model_page(name))


@bp.post("/models/<name>/description")
def edit_description(name):
    verify_csrf()
    registry.update_registered_model(name, request.form.get("description", ""))
    return redirect(url_for("models.show", name=name))


@bp.post("/models/<name>/delete")
def delete(name):
    verify_csrf()
    registry.delete_registered_model(name)
    return redirect(url_for("models.index"))


@bp.get("/models/<name>/versions/<version>")
def version(name, version):
    return render_template("models/version.html", page=presenters.version_page(name, version))


@bp.post("/experiments/<int:experiment_id>/runs/<int:iid>/promote")
def promote(experiment_id, iid):
    """Register the run's model as a new version of a (possibly new) model, with an alias."""
    verify_csrf()
    created = presenters.promote_run(experiment_id, iid, request.form.get("model", "").strip(),
                                     request.form.get("alias", "").strip())
    return redirect(url_for("models.version", name=created.registered_model.name,
                            version=created.version))


