"""Package registry pages and the plain file download a person can curl."""
import os

from flask import Blueprint, render_template, send_file

from mlexp.services import packages

bp = Blueprint("packages", __name__)


@bp.get("/packages")
def index():
    return render_template("packages/index.html", packages=packages.list_packages())


@bp.get("/packages/<name>")
def package(name):
    return render_template("packages/package.html", package=packages.get_package(name))


@bp.get("/packages/<name>/<int:iid>")
def version(name, iid):
    package, version, files = packages.get_version_files(name, iid)
    return render_template("packages/version.html", package=package, version=version, files=files)


@bp.get("/packages/<name>/<int:iid>/files/<path:path>")
def download(name, iid, path):
    """`curl -O` friendly: an attachment with Content-Length, Range and nosniff."""
    full = packages.version_file_path(name, iid, path)
    response = send_file(full, as_attachment=True, download_name=os.path.basename(full),
                         mimetype="application/octet-stream", conditional=True, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
