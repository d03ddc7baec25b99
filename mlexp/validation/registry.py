"""MLflow's rules for the model registry (model names, aliases, tags, stages, version sources)
and for logged models. Pure."""
import re

from mlexp.errors import InvalidParameter
from mlexp.validation import validate_key, validate_value_length

MAX_MODEL_NAME_LENGTH = 256  # MLflow's registered_models.name is String(256)
MAX_ALIAS_LENGTH = 255
MAX_REGISTRY_TAG_VALUE_LENGTH = 100_000
MODEL_VERSION_STAGES = ("None", "Staging", "Production", "Archived")
ACTIVE_STAGES = ("Staging", "Production")
FINAL_LOGGED_MODEL_STATUSES = ("LOGGED_MODEL_READY", "LOGGED_MODEL_UPLOAD_FAILED")
_LOGGED_MODEL_NAME_FORBIDDEN = ("/", ":", ".", "%", '"', "'")
_ALIAS_CHARS = re.compile(r"^[\w\-]+$")
_VERSION_ALIAS = re.compile(r"^v\d+$", re.IGNORECASE)
# A version's source may name the run or logged model it comes from.
RUNS_URI = re.compile(r"^runs:/([0-9a-f]{32})(?:/(.*))?$")
MODELS_URI = re.compile(r"^models:/(m-[0-9a-f]{32})/?$")


def validate_model_name(name: str) -> None:
    """A registered model's name: it ends up in models:/<name>/<version> URIs.

    Raises:
        InvalidParameter: blank, holding '/' or ':', or over MAX_MODEL_NAME_LENGTH.
    """
    if not name or not name.strip():
        raise InvalidParameter("Registered model name cannot be empty")
    if "/" in name or ":" in name:
        raise InvalidParameter(
            f"Invalid model name {name!r}: names may not contain '/' or ':' (they break models:/ URIs)")
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidParameter(
            f"Registered model name has length {len(name)}, above the limit of {MAX_MODEL_NAME_LENGTH}")


def validate_alias(alias: str) -> None:
    """Raises: InvalidParameter for an empty, over-long or reserved alias, or other characters
    than letters, digits, underscores and dashes."""
    if not alias or len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(f"An alias must be 1 to {MAX_ALIAS_LENGTH} characters long")
    if alias.lower() == "latest" or _VERSION_ALIAS.match(alias):
        raise InvalidParameter(
            f"Invalid alias {alias!r}: 'latest' and v<number> are reserved for version lookups")
    if not _ALIAS_CHARS.match(alias):
        raise InvalidParameter(
            f"Invalid alias {alias!r}: use letters, digits, underscores and dashes")


def validate_registry_tag(kind: str, key: str, value: str) -> None:
    """A registered model's or model version's tag: run tag keys, longer values."""
    validate_key(kind, key)
    validate_value_length(kind, key, value, MAX_REGISTRY_TAG_VALUE_LENGTH)


def canonical_stage(stage: str) -> str:
    """The stage as MLflow spells it, whatever its case.

    Raises:
        InvalidParameter: not one of MODEL_VERSION_STAGES.
    """
    for known in MODEL_VERSION_STAGES:
        if (stage or "").lower() == known.lower():
            return known
    raise InvalidParameter(f"Invalid Model Version stage: {stage}. Value must be one of "
                           f"{', '.join(MODEL_VERSION_STAGES)}.")


def transition_target(stage: str, archive_existing: bool) -> str:
    """The canonical stage to move a version to.

    Raises:
        InvalidParameter: an unknown stage, or archive_existing for a stage it does not apply to.
    """
    canonical = canonical_stage(stage)
    if archive_existing and canonical not in ACTIVE_STAGES:
        raise InvalidParameter(
            f"archive_existing_versions applies only to Staging and Production, not {canonical}")
    return canonical


def validate_version_source(source: str, run_id: str | None) -> None:
    """Raises: InvalidParameter when a runs:/ source names another run than run_id."""
    runs_uri = RUNS_URI.match(source)
    if runs_uri and run_id and run_id != runs_uri.group(1):
        raise InvalidParameter(
            f"The source {source!r} names run {runs_uri.group(1)}, not the given run_id {run_id}")


def validate_logged_model_name(name: str | None) -> None:
    """Raises: InvalidParameter for a name holding a character MLflow refuses in one."""
    if name and any(ch in name for ch in _LOGGED_MODEL_NAME_FORBIDDEN):
        raise InvalidParameter(f"Invalid model name {name!r}: it may not contain any of "
                               f"{' '.join(_LOGGED_MODEL_NAME_FORBIDDEN)}")


def validate_final_status(status: str) -> None:
    """Raises: InvalidParameter for finalizing a logged model as anything but ready or failed."""
    if status not in FINAL_LOGGED_MODEL_STATUSES:
        raise InvalidParameter(
            f"Invalid status {status!r}: finalize with {' or '.join(FINAL_LOGGED_MODEL_STATUSES)}")
