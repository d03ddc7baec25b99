"""The mlflow-artifacts API (proxied artifact storage) and the tracking-side artifact listing."""
import io

from flask import Blueprint, request

from mlexp.api.parsing import parse
from mlexp.errors import EndpointNotFound, NotImplementedByServer
from mlexp.http.downloads import attachment
from mlexp.schemas.artifacts import FileInfoSchema, ListArtifactsRequest, ListRunArtifactsRequest
from mlexp.services import artifacts
from mlexp.artifacts.upload_files import SpooledBody

CHUNK_BYTES = 1024 * 1024

bp = Blueprint("mlflow_artifacts", __name__)
tracking_bp = Blueprint("artifacts", __name__)


def _request_body():
    """The body as the server holds it: a spooled file when it has one (linked into place, or
    copied by the kernel), else chunks read from the stream."""
    spooled = request.environ.get("wsgi.input")
    if request.content_length and hasattr(spooled, "fileno") and hasattr(spooled, "tell"):
        try:
            spooled.fileno()
            name = getattr(spooled, "name", None)  # serve.py spools into named files
            return SpooledBody(spooled, request.content_length, name if isinstance(name, str) else None)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
    return _request_chunks()


def _request_chunks():
    while True:
        chunk = request.stream.read(CHUNK_BYTES)
        if not chunk:
            return
        yield chunk


@bp.put("/artifacts/<path:artifact_path>")
def upload_artifact(artifact_path):
    """UploadArtifact: the body goes to a temporary file that is renamed into place."""
    artifacts.upload_artifact(artifact_path, _request_body())
    return {}


@bp.get("/artifacts/<path:artifact_path>")
def download_artifact(artifact_path):
    """DownloadArtifact: an attachment with Content-Length, and Range support to resume."""
    return attachment(artifacts.artifact_file(artifact_path))


@bp.get("/artifacts")
def list_artifacts():
    req = parse(ListArtifactsRequest)
    return {"files": FileInfoSchema(many=True).dump(artifacts.list_artifacts(req["path"]))}


@bp.delete("/artifacts/<path:artifact_path>")
def delete_artifact(artifact_path):
    artifacts.delete_artifact(artifact_path)
    return {}


@bp.post("/mpu/<action>/<path:artifact_path>")
def multipart_upload(action, artifact_path):
    """Create/Complete/AbortMultipartUpload: like MLflow's server over a local artifact store,
    this store takes whole-file streamed uploads only (the client uses multipart only when
    MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD is set)."""
    if action not in ("create", "complete", "abort"):
        raise EndpointNotFound(f"No API endpoint at {request.path}")
    raise NotImplementedByServer(
        "Multipart upload is not supported: packages are uploaded as single streamed PUTs; "
        "unset MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD"
    )


@tracking_bp.get("/artifacts/list")
def list_run_artifacts():
    req = parse(ListRunArtifactsRequest)
    root_uri, files = artifacts.list_run_artifacts(req["run_id"], req["path"])
    return {"root_uri": root_uri, "files": FileInfoSchema(many=True).dump(files)}
