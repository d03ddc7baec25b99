"""The model registry: registered models, their tags and aliases."""
from sqlalchemy import and_, exists, not_, select

from mlexp.clock import now_ms
from mlexp.errors import AlreadyExists, NotFound
from mlexp.extensions import db
from mlexp.models import ModelVersion, RegisteredModel, RegisteredModelAlias, RegisteredModelTag
from mlexp.search.order_by import parse_column_order_by
from mlexp.search.filter import Comparison, parse_registered_model_filter
from mlexp.search.paging import decode_page_token, encode_page_token
from mlexp.services import page_token_secret
from mlexp.search.sql import compare
from mlexp.storage.transaction import delete_one, update_row, write_transaction
from mlexp.validation import page_size, parse_integer_id, validate_description
from mlexp.validation.registry import validate_alias, validate_model_name, validate_registry_tag

PROMPT_TAG = "mlflow.prompt.is_prompt"
_ORDERABLE = {"name": RegisteredModel.name, "timestamp": RegisteredModel.last_updated_time,
              "last_updated_timestamp": RegisteredModel.last_updated_time,
              "creation_timestamp": RegisteredModel.creation_time}


def get_registered_model(name: str) -> RegisteredModel:
    """Raises: NotFound."""
    model = db.session.scalar(select(RegisteredModel).where(RegisteredModel.name == name))
    if model is None:
        raise NotFound(f"Registered Model with name={name} not found")
    return model


def create_registered_model(name: str, *, description: str | None = None,
                            tags: list[dict] = ()) -> RegisteredModel:
    """Raises: AlreadyExists for a taken name; InvalidParameter for a bad name, tag or description."""
    validate_model_name(name)
    validate_description("registered model", description)
    for tag in tags:
        validate_registry_tag("registered model tag", tag["key"], tag["value"])
    with write_transaction() as tx:
        if tx.session.scalar(select(RegisteredModel.id).where(RegisteredModel.name == name)):
            raise AlreadyExists(f"Registered Model (name={name}) already exists.")
        model = RegisteredModel(name=name, description=description)
        model.tags = [RegisteredModelTag(key=t["key"], value=t["value"])
                      for t in {t["key"]: t for t in tags}.values()]
        tx.session.add(model)
    return model


def rename_registered_model(name: str, new_name: str) -> RegisteredModel:
    """Raises: NotFound, AlreadyExists, InvalidParameter."""
    validate_model_name(new_name)
    with write_transaction() as tx:
        model = get_registered_model(name)
        if new_name != name and tx.session.scalar(
                select(RegisteredModel.id).where(RegisteredModel.name == new_name)):
            raise AlreadyExists(f"Registered Model (name={new_name}) already exists.")
        model.name = new_name
        model.last_updated_time = now_ms()
    return model


def update_registered_model(name: str, description: str | None) -> RegisteredModel:
    """Raises: NotFound; InvalidParameter for an over-long description."""
    validate_description("registered model", description)
    return update_row(get_registered_model, name, description=description)


def delete_registered_model(name: str) -> None:
    """Delete the model with all its versions, tags and aliases. Raises: NotFound."""
    with write_transaction() as tx:
        tx.session.delete(get_registered_model(name))


def set_registered_model_tag(name: str, key: str, value: str) -> None:
    """Raises: NotFound, InvalidParameter."""
    validate_registry_tag("registered model tag", key, value)
    with write_transaction() as tx:
        model = get_registered_model(name)
        tx.session.merge(RegisteredModelTag(model_pk=model.id, key=key, value=value))


def delete_registered_model_tag(name: str, key: str) -> None:
    """Raises: NotFound for the model or the tag."""
    with write_transaction() as tx:
        model = get_registered_model(name)
        delete_one(tx.session, RegisteredModelTag, RegisteredModelTag.model_pk == model.id,
                   RegisteredModelTag.key == key,
                   missing=f"No tag with key {key!r} on registered model {name}")


def set_alias(name: str, alias: str, version: str) -> None:
    """Point `alias` at a version, moving it if it pointed elsewhere. Raises: NotFound, InvalidParameter."""
    validate_alias(alias)
    with write_transaction() as tx:
        model = get_registered_model(name)
        number = parse_version_number(name, version)
        if not tx.session.scalar(select(ModelVersion.id).where(ModelVersion.model_pk == model.id,
                                                            ModelVersion.version == number)):
            raise NotFound(f"Model Version (name={name}, version={version}) not found")
        tx.session.merge(RegisteredModelAlias(model_pk=model.id, alias=alias, version=number))
        model.last_updated_time = now_ms()


def delete_alias(name: str, alias: str) -> None:
    """Raises: NotFound for the model or the alias."""
    with write_transaction() as tx:
        model = get_registered_model(name)
        delete_one(tx.session, RegisteredModelAlias, RegisteredModelAlias.model_pk == model.id,
                   RegisteredModelAlias.alias == alias,
                   missing=f"Registered model alias {alias} not found.")


def alias_version(name: str, alias: str) -> tuple[RegisteredModel, int]:
    """The version an alias names; `latest` is the newest version. Raises: NotFound."""
    model = get_registered_model(name)
    if alias.lower() == "latest" and model.versions:
        return model, max(v.version for v in model.versions)
    target = next((a.version for a in model.aliases if a.alias == alias), None)
    if target is None:
        raise NotFound(f"Registered model alias {alias} not found.")
    return model, target


def parse_version_number(name: str, version: str) -> int:
    """Raises: InvalidParameter for a version that is not an integer; NotFound for an integer
    no version can have (negative or beyond the column), as MLflow finds no such version."""
    number = parse_integer_id(version, "model version")
    if number is None:
        raise NotFound(f"Model Version (name={name}, version={version}) not found")
    return number


def _tag_condition(comp):
    """A tag comparison; `!=` on the prompt marker also matches models without it, as in MLflow
    (the client always sends tag.`mlflow.prompt.is_prompt` != 'true')."""
    same_key = and_(RegisteredModelTag.model_pk == RegisteredModel.id, RegisteredModelTag.key == comp.key)
    if comp.comparator == "!=" and comp.key == PROMPT_TAG:
        return not_(exists().where(same_key, RegisteredModelTag.value == comp.value))
    return exists().where(same_key, compare(RegisteredModelTag.value, comp.comparator, comp.value))


def search_registered_models(filter_string: str | None, order_by: list[str], max_results: int | None,
                             page_token: str | None) -> tuple[list[RegisteredModel], str | None]:
    """Registered models, leaving out prompts unless the filter asks about them (as MLflow does).

    Raises:
        InvalidParameter: a bad filter, order_by, page size or token.
    """
    comparisons = parse_registered_model_filter(filter_string)
    conditions = [_tag_condition(c) if c.entity == "tag" else compare(RegisteredModel.name, c.comparator, c.value)
                  for c in comparisons]
    if not any(c.entity == "tag" and c.key == PROMPT_TAG for c in comparisons):
        conditions.append(_tag_condition(Comparison("tag", PROMPT_TAG, "!=", "true")))
    ordering = parse_column_order_by(order_by, _ORDERABLE)
    ordering.append(RegisteredModel.name.asc())
    limit = page_size("registered_models", max_results)
    secret = page_token_secret()
    offset = decode_page_token(page_token, secret=secret)
    found = list(db.session.scalars(select(RegisteredModel).where(*conditions)
                                    .order_by(*ordering).offset(offset).limit(limit + 1)))
    return found[:limit], encode_page_token(offset + limit, secret=secret) if len(found) > limit else None
