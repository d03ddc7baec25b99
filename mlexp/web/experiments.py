"""Experiment pages: the list, one experiment's runs table, its CSV, delete and restore."""
from flask import (Blueprint, Response, redirect, render_template, request, stream_with_context,
                   url_for)

from mlexp.services import experiments
from mlexp.web import csv_export, presenters
from mlexp.web.csrf import verify_csrf

bp = Blueprint("experiments", __name__)


@bp.get("/")
@bp.get("/experiments")
def index():
    page = presenters.experiments_page(
        query=request.args.get("q", ""), sort=request.args.get("sort", "last_activity"),
        descending=request.args.get("dir", "desc") == "desc",
        page=request.args.get("page", 1, type=int), deleted=request.args.get("show") == "deleted")
    return render_template("experiments/index.html", page=page)


@bp.get("/experiments/<int:experiment_id>")
def show(experiment_id):
    experiment = experiments.get_experiment(experiment_id)
    table = presenters.runs_table(
        experiment, filter_text=request.args.get("filter", ""), order_by=request.args.get("order", ""),
        page_token=request.args.get("page_token") or None,
        columns=request.args.getlist("cols") if "cols" in request.args else None,
        group_by=request.args.get("group", ""))
    return render_template("experiments/show.html", experiment=experiment, table=table)


@bp.get("/experiments/<int:experiment_id>/compare")
def compare(experiment_id):
    """Runs chosen with the runs table's checkboxes (?runs=<iid>&runs=<iid>…), side by side."""
    page = presenters.compare_page(experiment_id, request.args.getlist("runs", type=int),
                                   x_axis=request.args.get("x", ""), y_axis=request.args.get("y", ""))
    return render_template("experiments/compare.html", page=page)


@bp.get("/experiments/<int:experiment_id>/runs.csv")
def runs_csv(experiment_id):
    """Every run matching the filter, streamed as CSV; a bad filter or order is a 400 page."""
    experiment = experiments.get_experiment(experiment_id)
    chunks = csv_export.runs_csv(experiment, request.args.get("filter", ""), request.args.get("order", ""))
    filename = f"{experiment.package_name}_runs.csv"
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/experiments/<int:experiment_id>/delete")
def delete(experiment_id):
    verify_csrf()
    experiments.delete_experiment(experiment_id)
    return redirect(url_for("experiments.index"))


@bp.post("/experiments/<int:experiment_id>/restore")
def restore(experiment_id):
    verify_csrf()
    experiments.restore_experiment(experiment_id)
    return redirect(url_for("experiments.show", experiment_id=experiment_id))
