"""The SQL-built run JSON of search pages equals run_to_wire's, for every kind of value."""
import json
import math

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlexp.extensions import db
from mlexp.schemas.run_json import _python_json, runs_json
from mlexp.models import Run

KEY = st.text(alphabet=st.characters(whitelist_categories=("L", "N"), whitelist_characters="_-. /"),
              min_size=1, max_size=20).filter(lambda k: k.strip(" ./") == k and ".." not in k and "//" not in k)
VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=40)  # no lone surrogates, no NUL: both refused
DOUBLE = st.floats(allow_nan=True, allow_infinity=True, width=64)


def _same(app, run_ids):
    with app.app_context():
        ids = [db.session.scalar(db.select(Run.id).where(Run.uuid == r)) for r in run_ids]
        fast = [json.loads(b) for b in runs_json(db.session, ids)]
        slow = [json.loads(b) for b in _python_json(db.session, ids)]
    assert fast == slow, (fast, slow)
    return fast


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(KEY, VALUE, max_size=4), tags=st.dictionaries(KEY, VALUE, max_size=4),
       metrics=st.dictionaries(KEY, DOUBLE, max_size=4), finished=st.booleans())
def test_sql_json_matches_python_json_when_runs_hold_any_values(app, api, params, tags, metrics, finished):
    run_id = api.create_run("0")["info"]["run_id"]
    api.ok_post("/runs/log-batch", {
        "run_id": run_id, "params": [{"key": k, "value": v} for k, v in params.items()],
        "tags": [{"key": k, "value": v} for k, v in tags.items()],
        "metrics": [{"key": k, "value": v if math.isfinite(v) else ("NaN" if math.isnan(v) else
                     ("Infinity" if v > 0 else "-Infinity")), "timestamp": 5, "step": 1}
                    for k, v in metrics.items()]})
    if finished:
        api.ok_post("/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 99})
    (run,) = _same(app, [run_id])
    got = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    for key, value in metrics.items():
        if math.isnan(value):
            assert got[key] == "NaN"
        elif math.isinf(value):
            assert got[key] == ("Infinity" if value > 0 else "-Infinity")
        else:
            assert got[key] == value  # exact: 17 significant digits round-trip every double
    assert ("end_time" in run["info"]) == finished


def test_runs_with_inputs_take_python_path_when_datasets_are_logged(app, api):
    plain = api.create_run("0")["info"]["run_id"]
    with_input = api.create_run("0")["info"]["run_id"]
    api.ok_post("/runs/log-inputs", {"run_id": with_input, "datasets": [{"dataset": {
        "name": "d", "digest": "abc", "source_type": "local", "source": "{}"}}]})
    fast = _same(app, [with_input, plain])
    assert fast[0]["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "d"
    assert fast[1]["inputs"] == {}
    assert orjson.loads(orjson.dumps(fast)) == fast


def test_extreme_doubles_stay_exact_when_rendered_by_sql(app, api):
    values = [1.7976931348623025e+308, 5e-324, 2.2250738585072014e-308, 0.1 + 0.2, -1e-7, 123456789.12345679]
    run_id = api.create_run("0")["info"]["run_id"]
    api.ok_post("/runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": f"m{i}", "value": v, "timestamp": 1, "step": 0} for i, v in enumerate(values)]})
    (run,) = _same(app, [run_id])
    assert [m["value"] for m in sorted(run["data"]["metrics"], key=lambda m: int(m["key"][1:]))] == values

