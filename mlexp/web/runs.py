"""Run pages: details with charts and artifacts, inline previews, delete and restore."""
import csv
import io
import os

from flask import Blueprint, abort, redirect, render_template, send_file, url_for

from mlexp.services import browse, packages, runs
from mlexp.web import presenters
from mlexp.web.csrf import verify_csrf
from mlexp.web.markdown import render_markdown

bp = Blueprint("runs", __name__)

PREVIEW_BYTES = 64 * 1024
# Each .md preview parses up to markdown.MAX_MARKDOWN_CHARS (~0.1 s for the worst input); past
# this many on one page, .md files are previewed as text, so many files cannot add up to seconds.
MAX_MARKDOWN_PREVIEWS = 5
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp"}


@bp.get("/experiments/<int:experiment_id>/runs/<int:iid>")
def show(experiment_id, iid):
    page = presenters.run_page(experiment_id, iid)
    return render_template("runs/show.html", page=page, preview=_previews(page.experiment.id, page.run.iid))


@bp.get("/runs/<run_id>")
def by_run_id(run_id):
    run = runs.get_run(run_id)
    return redirect(url_for("runs.show", experiment_id=run.experiment_id, iid=run.iid))


@bp.get("/experiments/<experiment_id>/runs/<int:iid>/images/<path:path>")
def image(experiment_id, iid, path):
    """Inline images for previews; only raster types, never SVG or HTML."""
    mimetype = IMAGE_TYPES.get(os.path.splitext(path)[1].lower())
    if mimetype is None:
        abort(404)
    full = packages.run_file_path(experiment_id, iid, path)
    response = send_file(full, mimetype=mimetype, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@bp.post("/experiments/<int:experiment_id>/runs/<int:iid>/delete")
def delete(experiment_id, iid):
    verify_csrf()
    runs.delete_run(browse.run_by_iid(experiment_id, iid)[1].uuid)
    return redirect(url_for("runs.show", experiment_id=experiment_id, iid=iid))


@bp.post("/experiments/<int:experiment_id>/runs/<int:iid>/restore")
def restore(experiment_id, iid):
    verify_csrf()
    runs.restore_run(browse.run_by_iid(experiment_id, iid)[1].uuid)
    return redirect(url_for("runs.show", experiment_id=experiment_id, iid=iid))


def _previews(experiment_id: int, iid: int):
    """One run page's preview function: the first MAX_MARKDOWN_PREVIEWS .md files are formatted."""
    markdown_left = MAX_MARKDOWN_PREVIEWS

    def preview(file) -> dict | None:
        nonlocal markdown_left
        shown = _preview(experiment_id, iid, file, markdown=markdown_left > 0)
        if shown and shown["kind"] == "markdown":
            markdown_left -= 1
        return shown

    return preview


def _preview(experiment_id: int, iid: int, file, *, markdown: bool) -> dict | None:
    """What to show inline for a file: an image, some text, or the first rows of a table."""
    kind = presenters.PREVIEW_KINDS.get(os.path.splitext(file.path)[1].lower())
    if kind is None:
        return None
    if kind == "image":
        return {"kind": "image"}
    start = packages.read_run_file_start(experiment_id, iid, file.path, PREVIEW_BYTES)
    text = start.decode("utf-8", errors="replace")
    if kind == "table":
        delimiter = "\t" if file.path.lower().endswith(".tsv") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[:21]
        return {"kind": "table", "rows": rows}
    if markdown and file.path.lower().endswith(".md"):
        return {"kind": "markdown", "html": render_markdown(text)}
    return {"kind": "text", "text": text, "truncated": (file.file_size or 0) > PREVIEW_BYTES}
