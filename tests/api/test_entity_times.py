"""A new entity has one time for creation and last update, as MLflow gives it (the clock is
read once, however the milliseconds tick between two readings)."""
import itertools

import pytest

from mlexp.models import logged_models, registry, tracking


@pytest.fixture
def ticking_clock(monkeypatch):
    """Every reading of the clock a millisecond later than the one before."""
    ticks = itertools.count(1_700_000_000_000)
    for module in (tracking, registry, logged_models):
        monkeypatch.setattr(module, "now_ms", lambda: next(ticks))


def test_new_entities_have_one_time_for_creation_and_update_when_the_clock_ticks_between_readings(
        api, ticking_clock):
    experiment_id = api.create_experiment("e")
    experiment = api.ok_get("/experiments/get", {"experiment_id": experiment_id})["experiment"]
    assert experiment["creation_time"] == experiment["last_update_time"]
    model = api.ok_post("/registered-models/create", {"name": "m"})["registered_model"]
    assert model["creation_timestamp"] == model["last_updated_timestamp"]
    version = api.ok_post("/model-versions/create", {"name": "m", "source": "s3://bucket/m"})["model_version"]
    assert version["creation_timestamp"] == version["last_updated_timestamp"]
    logged = api.ok_post("/logged-models", {"experiment_id": experiment_id})["model"]["info"]
    assert logged["creation_timestamp_ms"] == logged["last_updated_timestamp_ms"]
