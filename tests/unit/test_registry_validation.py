"""MLflow's rules for registered model names, aliases, registry tags, stages, version sources and
logged models (mlexp/validation/registry.py)."""
import pytest

from mlexp.errors import InvalidParameter
from mlexp.validation.registry import (
    MODEL_VERSION_STAGES,
    canonical_stage,
    transition_target,
    validate_alias,
    validate_final_status,
    validate_logged_model_name,
    validate_model_name,
    validate_registry_tag,
    validate_version_source,
)

RUN = "a" * 32


def message(check, *args) -> str:
    with pytest.raises(InvalidParameter) as exc:
        check(*args)
    return exc.value.message


@pytest.mark.parametrize("name", ["m", "my model", "a.b-c_d", "m" * 256, "日本"])
def test_model_name_is_accepted_when_models_uri_can_hold_it(name):
    assert validate_model_name(name) is None


@pytest.mark.parametrize("name, expected", [
    ("", "Registered model name cannot be empty"),
    ("   ", "Registered model name cannot be empty"),
    ("a/b", "Invalid model name 'a/b': names may not contain '/' or ':' (they break models:/ URIs)"),
    ("a:b", "Invalid model name 'a:b': names may not contain '/' or ':' (they break models:/ URIs)"),
    ("m" * 257, "Registered model name has length 257, above the limit of 256"),
])
def test_model_name_is_rejected_when_it_breaks_a_rule(name, expected):
    assert message(validate_model_name, name) == expected


@pytest.mark.parametrize("alias", ["champion", "a-b_c", "v", "vx1", "a" * 255, "latest2"])
def test_alias_is_accepted_when_it_is_a_word_that_is_not_reserved(alias):
    assert validate_alias(alias) is None


@pytest.mark.parametrize("alias, expected", [
    ("", "An alias must be 1 to 255 characters long"),
    ("a" * 256, "An alias must be 1 to 255 characters long"),
    ("Latest", "Invalid alias 'Latest': 'latest' and v<number> are reserved for version lookups"),
    ("V12", "Invalid alias 'V12': 'latest' and v<number> are reserved for version lookups"),
    ("a b", "Invalid alias 'a b': use letters, digits, underscores and dashes"),
    ("a.b", "Invalid alias 'a.b': use letters, digits, underscores and dashes"),
])
def test_alias_is_rejected_when_it_breaks_a_rule(alias, expected):
    assert message(validate_alias, alias) == expected


def test_registry_tag_value_is_accepted_up_to_100000_characters_and_rejected_beyond():
    assert validate_registry_tag("model version tag", "k", "v" * 100_000) is None
    assert message(validate_registry_tag, "model version tag", "k", "v" * 100_001) == (
        "Model version tag value for key 'k' has length 100001, which exceeds the limit of 100000")


def test_registry_tag_key_is_rejected_when_it_is_not_a_run_tag_key():
    assert message(validate_registry_tag, "registered model tag", "a@b", "v").startswith(
        "Invalid registered model tag key 'a@b'")


@pytest.mark.parametrize("stage, expected", [
    ("None", "None"), ("staging", "Staging"), ("PRODUCTION", "Production"), ("archived", "Archived"),
])
def test_stage_is_spelled_as_mlflow_does_when_case_differs(stage, expected):
    assert canonical_stage(stage) == expected


@pytest.mark.parametrize("stage", ["", "prod", "Staging ", "Stage"])
def test_stage_is_rejected_when_it_is_not_an_mlflow_stage(stage):
    assert message(canonical_stage, stage) == (
        f"Invalid Model Version stage: {stage}. Value must be one of None, Staging, Production, Archived.")
    assert MODEL_VERSION_STAGES == ("None", "Staging", "Production", "Archived")


def test_transition_archives_others_only_when_target_is_staging_or_production():
    assert transition_target("production", True) == "Production"
    assert transition_target("archived", False) == "Archived"
    assert message(transition_target, "archived", True) == (
        "archive_existing_versions applies only to Staging and Production, not Archived")


@pytest.mark.parametrize("source, run_id", [
    (f"runs:/{RUN}/model", RUN), (f"runs:/{RUN}/model", None), ("s3://bucket/model", "b" * 32),
    ("models:/m-" + "0" * 32, RUN),
])
def test_version_source_is_accepted_when_it_names_no_other_run(source, run_id):
    assert validate_version_source(source, run_id) is None


def test_version_source_is_rejected_when_it_names_another_run_than_run_id():
    assert message(validate_version_source, f"runs:/{RUN}/model", "b" * 32) == (
        f"The source 'runs:/{RUN}/model' names run {RUN}, not the given run_id {'b' * 32}")


@pytest.mark.parametrize("name", [None, "", "model", "my model-1_x"])
def test_logged_model_name_is_accepted_when_it_holds_no_forbidden_character(name):
    assert validate_logged_model_name(name) is None


@pytest.mark.parametrize("name", ["a/b", "a:b", "a.b", "50%", 'a"b', "a'b"])
def test_logged_model_name_is_rejected_when_it_holds_a_forbidden_character(name):
    assert message(validate_logged_model_name, name) == (
        f"Invalid model name {name!r}: it may not contain any of / : . % \" '")


def test_logged_model_is_finalized_only_as_ready_or_upload_failed():
    assert validate_final_status("LOGGED_MODEL_READY") is None
    assert validate_final_status("LOGGED_MODEL_UPLOAD_FAILED") is None
    assert message(validate_final_status, "LOGGED_MODEL_PENDING") == (
        "Invalid status 'LOGGED_MODEL_PENDING': finalize with LOGGED_MODEL_READY or "
        "LOGGED_MODEL_UPLOAD_FAILED")
