"""Calls and readers the registry tests share: DELETE and PATCH with a JSON body, as MLflow's
client sends them, and shortcuts for models, versions, stages and aliases."""
AJAX = "/ajax-api/2.0/mlflow"
PROMPT_TAG = "mlflow.prompt.is_prompt"


def delete(api, path: str, body: dict):
    """DELETE with a JSON body, as MLflow's client sends it; returns (status, json)."""
    response = api.client.delete(api.prefix + path, json=body)
    return response.status_code, response.get_json()


def patch(api, path: str, body: dict):
    response = api.client.patch(api.prefix + path, json=body)
    return response.status_code, response.get_json()


def ok(result) -> dict:
    status, body = result
    assert status == 200, body
    return body


def create_model(api, name: str, **body) -> dict:
    return api.ok_post("/registered-models/create", {"name": name, **body})["registered_model"]


def get_model(api, name: str) -> dict:
    return api.ok_get("/registered-models/get", {"name": name})["registered_model"]


def create_version(api, name: str, source: str = "s3://bucket/model", **body) -> dict:
    return api.ok_post("/model-versions/create",
                       {"name": name, "source": source, **body})["model_version"]


def get_version(api, name: str, version: str) -> dict:
    return api.ok_get("/model-versions/get", {"name": name, "version": version})["model_version"]


def transition(api, name: str, version: str, stage: str, archive: bool = False) -> dict:
    return api.ok_post("/model-versions/transition-stage",
                       {"name": name, "version": version, "stage": stage,
                        "archive_existing_versions": archive})["model_version"]


def set_alias(api, name: str, alias: str, version: str) -> None:
    assert api.ok_post("/registered-models/alias",
                       {"name": name, "alias": alias, "version": version}) == {}


def model_names(response: dict) -> list[str]:
    return [m["name"] for m in response.get("registered_models", [])]


def version_keys(response: dict) -> list[tuple[str, str]]:
    return [(v["name"], v["version"]) for v in response.get("model_versions", [])]


def stages_of(versions: list[dict]) -> dict:
    """{stage: version} of a latest_versions list (one version per stage)."""
    return {v["current_stage"]: v["version"] for v in versions}


def aliases_of(model: dict) -> dict:
    return {a["alias"]: a["version"] for a in model["aliases"]}
