"""Plain values passed between the wire schemas and the services."""
from dataclasses import dataclass, field

from mlexp import names


@dataclass(frozen=True)
class MetricPoint:
    """One logged metric value, before it is stored."""

    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass
class MetricValue:
    key: str
    value: float
    is_nan: bool
    timestamp: int
    step: int


@dataclass
class DatasetInputRecord:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None
    profile: str | None
    tags: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RunRecord:
    """A run's info, params, tags and latest metrics; attribute names match models.Run."""

    id: int
    uuid: str
    experiment_id: int
    iid: int
    name: str
    user_id: str
    status: str
    start_time: int
    end_time: int | None
    lifecycle_stage: str
    params: list[tuple[str, str]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[MetricValue] = field(default_factory=list)
    inputs: list[DatasetInputRecord] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: list[tuple[str, int]] = field(default_factory=list)

    @property
    def artifact_uri(self) -> str:
        return names.run_artifact_uri(self.experiment_id, self.iid)
