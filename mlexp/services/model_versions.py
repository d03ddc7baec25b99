"""Model versions: a registered model's numbered snapshots of a run's or logged model's files."""
from sqlalchemy import delete, exists, select, type_coerce, update

from mlexp.clock import now_ms
from mlexp.errors import NotFound
from mlexp.extensions import db
from mlexp.models import (LoggedModel, ModelVersion, ModelVersionTag, RegisteredModel,
                          RegisteredModelAlias, Run)
from mlexp.models.columns import Int64
from mlexp.search.order_by import parse_column_order_by
from mlexp.search.filter import parse_model_version_filter
from mlexp.search.paging import decode_page_token, encode_page_token
from mlexp.services import page_token_secret
from mlexp.search.sql import compare
from mlexp.services.registry import parse_version_number, alias_version, get_registered_model
from mlexp.storage.transaction import delete_one, update_row, write_transaction
from mlexp.validation import page_size, validate_description
from mlexp.validation.registry import (ACTIVE_STAGES, MODELS_URI, RUNS_URI, canonical_stage,
                                       transition_target, validate_registry_tag,
                                       validate_version_source)



def get_model_version(name: str, version: str) -> ModelVersion:
    """Raises: NotFound; InvalidParameter for a version that is not a number."""
    model = get_registered_model(name)
    found = db.session.scalar(select(ModelVersion).where(
        ModelVersion.model_pk == model.id, ModelVersion.version == parse_version_number(name, version)))
    if found is None:
        raise NotFound(f"Model Version (name={name}, version={version}) not found")
    return found


def get_version_by_alias(name: str, alias: str) -> ModelVersion:
    """Raises: NotFound for the model, alias or version."""
    _, number = alias_version(name, alias)
    return get_model_version(name, str(number))


def create_model_version(name: str, source: str, *, run_id: str | None = None,
                         model_id: str | None = None, tags: list[dict] = (),
                         run_link: str | None = None, description: str | None = None) -> ModelVersion:
    """The model's next version, linked to its run and logged model when they are known.

    Raises:
        NotFound: unknown registered model, run or logged model.
        InvalidParameter: a source naming another run, a bad tag or an over-long description.
    """
    validate_description("model version", description)
    validate_version_source(source, run_id)
    for tag in tags:
        validate_registry_tag("model version tag", tag["key"], tag["value"])
    with write_transaction() as tx:
        model = get_registered_model(name)
        runs_uri, models_uri = RUNS_URI.match(source), MODELS_URI.match(source)
        run_id = run_id or (runs_uri.group(1) if runs_uri else None)
        model_id = model_id or (models_uri.group(1) if models_uri else None)
        if run_id and not tx.session.scalar(select(Run.id).where(Run.uuid == run_id)):
            raise NotFound(f"Run with id={run_id} not found")
        if model_id:
            logged = tx.session.scalar(select(LoggedModel).where(LoggedModel.model_id == model_id))
            if logged is None:
                raise NotFound(f"Logged model with ID '{model_id}' not found.")
            run_id = run_id or logged.source_run_id
        model.last_version += 1
        model.last_updated_time = now_ms()
        version = ModelVersion(model_pk=model.id, version=model.last_version, source=source,
                               run_id=run_id, model_id=model_id, run_link=run_link or None,
                               description=description)
        version.tags = [ModelVersionTag(key=t["key"], value=t["value"])
                        for t in {t["key"]: t for t in tags}.values()]
        tx.session.add(version)
    return version


def update_model_version(name: str, version: str, description: str | None) -> ModelVersion:
    """Raises: NotFound; InvalidParameter for an over-long description."""
    validate_description("model version", description)
    return update_row(get_model_version, name, version, description=description)


def transition_stage(name: str, version: str, stage: str, archive_existing: bool) -> ModelVersion:
    """Kept for older clients. Raises: NotFound; InvalidParameter for an unknown stage."""
    canonical = transition_target(stage, archive_existing)
    with write_transaction() as tx:
        found = get_model_version(name, version)
        if archive_existing and canonical in ACTIVE_STAGES:
            tx.session.execute(update(ModelVersion).where(
                ModelVersion.model_pk == found.model_pk, ModelVersion.id != found.id,
                ModelVersion.current_stage == canonical).values(current_stage="Archived",
                                                                last_updated_time=now_ms()))
        found.current_stage = canonical
        found.last_updated_time = found.registered_model.last_updated_time = now_ms()
    return found


def delete_model_version(name: str, version: str) -> None:
    """Delete the version and any aliases pointing at it. Raises: NotFound."""
    with write_transaction() as tx:
        found = get_model_version(name, version)
        tx.session.execute(delete(RegisteredModelAlias).where(
            RegisteredModelAlias.model_pk == found.model_pk,
            RegisteredModelAlias.version == found.version))
        found.registered_model.last_updated_time = now_ms()
        tx.session.delete(found)


def set_version_tag(name: str, version: str, key: str, value: str) -> None:
    """Raises: NotFound, InvalidParameter."""
    validate_registry_tag("model version tag", key, value)
    with write_transaction() as tx:
        found = get_model_version(name, version)
        tx.session.merge(ModelVersionTag(version_pk=found.id, key=key, value=value))


def delete_version_tag(name: str, version: str, key: str) -> None:
    """Raises: NotFound for the version or the tag."""
    with write_transaction() as tx:
        found = get_model_version(name, version)
        delete_one(tx.session, ModelVersionTag, ModelVersionTag.version_pk == found.id,
                   ModelVersionTag.key == key,
                   missing=f"No tag with key {key!r} on model version {name}/{version}")


def latest_versions(model: RegisteredModel, stages: list[str] | None = None) -> list[ModelVersion]:
    """The newest version in each stage (all stages when none are named).

    Raises:
        InvalidParameter: an unknown stage name.
    """
    wanted = {canonical_stage(stage) for stage in stages} if stages else None
    newest = {}
    for version in model.versions:
        if wanted is None or version.current_stage in wanted:
            newest[version.current_stage] = version
    return sorted(newest.values(), key=lambda v: v.version)


def download_uri(name: str, version: str) -> str:
    """Where the version's files are: its logged model's, or its run's, artifact location."""
    found = get_model_version(name, version)
    if found.model_id:
        logged = db.session.scalar(select(LoggedModel).where(LoggedModel.model_id == found.model_id))
        if logged is not None:
            return logged.artifact_uri
    runs_uri = RUNS_URI.match(found.source)
    if runs_uri:
        run = db.session.scalar(select(Run).where(Run.uuid == runs_uri.group(1)))
        if run is not None:
            return run.artifact_uri + (f"/{runs_uri.group(2)}" if runs_uri.group(2) else "")
    return found.source


# version_number compares as int64, as the filter parses it: on PostgreSQL the INTEGER column
# would cast a larger literal to int4 ("integer out of range") instead of matching nothing.
_COLUMNS = {"name": RegisteredModel.name, "run_id": ModelVersion.run_id,
            "source_path": ModelVersion.source,
            "version_number": type_coerce(ModelVersion.version, Int64),
            "model_id": ModelVersion.model_id}
_ORDERABLE = {"name": RegisteredModel.name, "version_number": ModelVersion.version,
              "creation_timestamp": ModelVersion.creation_time,
              "last_updated_timestamp": ModelVersion.last_updated_time,
              "timestamp": ModelVersion.last_updated_time}


def search_model_versions(filter_string: str | None, order_by: list[str], max_results: int | None,
                          page_token: str | None) -> tuple[list[ModelVersion], str | None]:
    """Raises: InvalidParameter for a bad filter, order_by, page size or token."""
    conditions = []
    for comp in parse_model_version_filter(filter_string):
        if comp.entity == "tag":
            conditions.append(exists().where(
                ModelVersionTag.version_pk == ModelVersion.id, ModelVersionTag.key == comp.key,
                compare(ModelVersionTag.value, comp.comparator, comp.value)))
        else:
            conditions.append(compare(_COLUMNS[comp.key], comp.comparator, comp.value))
    ordering = parse_column_order_by(order_by, _ORDERABLE)
    ordering += [ModelVersion.last_updated_time.desc(), RegisteredModel.name.asc(),
                 ModelVersion.version.desc()]
    limit = page_size("model_versions", max_results)
    secret = page_token_secret()
    offset = decode_page_token(page_token, secret=secret)
    found = list(db.session.scalars(
        select(ModelVersion).join(RegisteredModel, RegisteredModel.id == ModelVersion.model_pk)
        .where(*conditions).order_by(*ordering).offset(offset).limit(limit + 1)))
    return found[:limit], encode_page_token(offset + limit, secret=secret) if len(found) > limit else None
