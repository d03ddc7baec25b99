"""What a request is, told from its method and path alone: before routing, before its body."""

API_PATH_PREFIXES = ("/api/", "/ajax-api/")
# Where the MLflow REST API and the artifact proxy are mounted (each under both prefixes).
API_PREFIXES = {"api": "/api/2.0/mlflow", "ajax": "/ajax-api/2.0/mlflow"}
ARTIFACT_PREFIXES = {"api": "/api/2.0/mlflow-artifacts", "ajax": "/ajax-api/2.0/mlflow-artifacts"}
# Artifact files: PUT bodies are stored as they are; every other API body is a JSON document.
UPLOAD_PATH_PREFIXES = tuple(prefix + "/artifacts/" for prefix in ARTIFACT_PREFIXES.values())
# Reachable without credentials: health checks, the MLflow version and server-info probes
# (clients ask before they authenticate, as MLflow's server answers them), the stylesheet and
# script, the log-in page.
OPEN_PATHS = frozenset({"/health", "/version", "/api/3.0/mlflow/server-info", "/ajax-api/3.0/mlflow/server-info",
                        "/login"})
OPEN_PATH_PREFIXES = ("/static/",)
# Answered for anyone, from any host: load balancers ask by address.
HEALTH_PATHS = frozenset({"/health"})
# API calls that are POSTed but only read.
READ_ONLY_POSTS = frozenset(prefix + route for prefix in API_PREFIXES.values() for route in (
    "/runs/search", "/experiments/search", "/logged-models/search",
    "/registered-models/get-latest-versions"))
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGOUT_PATH = "/logout"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


def is_upload(method: str, path: str) -> bool:
    return method == "PUT" and path.startswith(UPLOAD_PATH_PREFIXES)


def takes_json(path: str) -> bool:
    """API routes whose bodies are JSON documents (artifact files are whatever they are)."""
    return is_api_path(path) and not path.startswith(UPLOAD_PATH_PREFIXES)


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PATH_PREFIXES)


def is_write(method: str, path: str) -> bool:
    """Whether the request may change something (the read-only searches are POSTs that do not)."""
    if method in SAFE_METHODS:
        return False
    return not (method == "POST" and path in READ_ONLY_POSTS)


def changes_state(method: str) -> bool:
    """Methods a browser sends cross-site only with an Origin header, which is checked."""
    return method not in SAFE_METHODS
