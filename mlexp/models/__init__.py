"""One class per table, a module per resource. Rows only: no commits and no JSON here (see
services/ and schemas/). Importing this package declares every table on db.metadata."""
from mlexp.models.columns import ACTIVE, DELETED, Int64
from mlexp.models.datasets import Dataset, InputTag, RunInput
from mlexp.models.logged_models import LoggedModel, LoggedModelParam, LoggedModelTag, RunModelLink
from mlexp.models.registry import (ModelVersion, ModelVersionTag, RegisteredModel,
                                   RegisteredModelAlias, RegisteredModelTag)
from mlexp.models.tokens import ApiToken, PageSession
from mlexp.models.tracking import (MODEL_ID_PRESENT, Experiment, ExperimentKey, ExperimentTag,
                                   LatestMetric, Metric, Param, Run, RunTag,
                                   add_postgresql_index_conditions)

__all__ = [
    "ACTIVE", "DELETED", "Int64", "MODEL_ID_PRESENT",
    "Experiment", "ExperimentTag", "ExperimentKey", "Run", "Param", "RunTag", "Metric", "LatestMetric",
    "Dataset", "RunInput", "InputTag",
    "LoggedModel", "LoggedModelTag", "LoggedModelParam", "RunModelLink",
    "RegisteredModel", "RegisteredModelTag", "RegisteredModelAlias", "ModelVersion", "ModelVersionTag",
    "ApiToken", "PageSession", "add_postgresql_index_conditions",
]
