"""Page data for the model registry pages and for promoting a run."""
from dataclasses import dataclass

from mlexp.errors import InvalidParameter, NotFound
from mlexp.services import artifacts, browse, model_versions, packages, registry, runs
from mlexp.web.markdown import render_markdown


@dataclass
class ModelsPage:
    models: list  # (RegisteredModel, latest version number or None, version count)
    query: str
    sort: str
    descending: bool


def models_page(*, query: str, sort: str, descending: bool) -> ModelsPage:
    found, _ = registry.search_registered_models(
        None, [{"name": "name", "updated": "last_updated_timestamp"}.get(sort, "last_updated_timestamp")
               + (" DESC" if descending else " ASC")], 1000, None)
    rows = [(m, max((v.version for v in m.versions), default=None), len(m.versions))
            for m in found if query.lower() in m.name.lower()]
    return ModelsPage(rows, query, sort, descending)


@dataclass
class ModelPage:
    model: object
    description: object
    versions: list  # (ModelVersion, aliases, source run or None)


def model_page(name: str) -> ModelPage:
    """Raises: NotFound."""
    model = registry.get_registered_model(name)
    versions = []
    for version in sorted(model.versions, key=lambda v: v.version, reverse=True):
        aliases = [a.alias for a in model.aliases if a.version == version.version]
        versions.append((version, aliases, _source_run(version.run_id)))
    return ModelPage(model, render_markdown(model.description), versions)


def _source_run(run_id: str | None):
    if not run_id:
        return None
    try:
        return runs.get_run(run_id)
    except NotFound:
        return None


@dataclass
class VersionPage:
    model: object
    version: object
    aliases: list
    run: object
    download_uri: str
    files: list


def version_page(name: str, version: str) -> VersionPage:
    """Raises: NotFound; InvalidParameter for a version that is not a number."""
    found = model_versions.get_model_version(name, version)
    model = found.registered_model
    uri = model_versions.download_uri(name, version)
    files = artifacts.list_files_at_uri(uri)
    return VersionPage(model, found, [a.alias for a in model.aliases if a.version == found.version],
                       _source_run(found.run_id), uri, files)


def promote_run(experiment_id: int, iid: int, model_name: str, alias: str):
    """A new version of `model_name` (created if missing) from the run's model.

    The run's newest logged model output is the source when it has one, else its "model" folder.

    Raises:
        NotFound, InvalidParameter: unknown run, bad name or alias, or no model to promote.
    """
    _, record = browse.run_by_iid(experiment_id, iid)
    if not model_name:
        raise InvalidParameter("Choose a model name to promote the run to")
    if record.model_outputs:
        source, model_id = f"models:/{record.model_outputs[-1][0]}", record.model_outputs[-1][0]
    elif any(f.path.startswith("model/") for f in packages.list_run_files(record.experiment_id, record.iid)):
        source, model_id = f"runs:/{record.uuid}/model", None
    else:
        raise InvalidParameter("This run has no logged model to promote (log one with mlflow.<flavor>.log_model)")
    try:
        registry.get_registered_model(model_name)
    except NotFound:
        registry.create_registered_model(model_name)
    created = model_versions.create_model_version(model_name, source, run_id=record.uuid, model_id=model_id)
    if alias:
        registry.set_alias(model_name, alias, str(created.version))
    return created


def run_versions(run_id: str) -> list:
    """The registered model versions made from this run."""
    found, _ = model_versions.search_model_versions(f"run_id = '{run_id}'", [], 1000, None)
    return found


def model_names() -> list[str]:
    """Every registered model's name, for the promote form's suggestions."""
    return [m.name for m in registry.search_registered_models(None, ["name"], 1000, None)[0]]
