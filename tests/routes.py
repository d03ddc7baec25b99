"""Every API route of an app: Flask's URL rules, and the paths the logging lane serves itself
(api/logging_lane.py), so tests that walk "every route" miss none."""
from dataclasses import dataclass

from mlexp.api.logging_lane import lane_paths


@dataclass(frozen=True)
class Route:
    rule: str  # werkzeug's rule text, e.g. /api/2.0/mlflow/runs/get
    methods: frozenset[str]  # without HEAD and OPTIONS
    view: object  # the function that serves it
    endpoint: str  # Flask's endpoint name, or "logging_lane"


def routes(app) -> list[Route]:
    found = [Route(rule.rule, frozenset(rule.methods - {"HEAD", "OPTIONS"}), app.view_functions[rule.endpoint],
                   rule.endpoint) for rule in app.url_map.iter_rules()]
    found += [Route(path, frozenset({"POST"}), view, "logging_lane") for path, view in lane_paths().items()]
    return found
