"""Package registry pages and the plain file download a person can curl."""
from flask import Blueprint, render_template

from mlexp.http.downloads import attachment
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
    return attachment(packages.version_file_path(name, iid, path))
