"""Plain values passed between the wire schemas and the services."""
from dataclasses import dataclass


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
