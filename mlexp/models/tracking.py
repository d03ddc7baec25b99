"""Experiments, runs and what a run logs: params, tags, metric points and latest values."""
from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mlexp import names
from mlexp.clock import now_ms
from mlexp.extensions import db
from mlexp.models.columns import ACTIVE, Int64, same_as_creation_time

MODEL_ID_PRESENT = "model_id IS NOT NULL"
NEGATIVE_ZERO = "negative_zero"  # the condition of ix_metrics_negative_zero (true, not NULL)


class Experiment(db.Model):
    """A collection of comparable runs; id 0 is the Default experiment."""

    __tablename__ = "experiments"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500), unique=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(32), default=ACTIVE)
    creation_time: Mapped[int] = mapped_column(Int64, default=lambda: now_ms())
    last_update_time: Mapped[int] = mapped_column(Int64, default=same_as_creation_time)
    # The IID of the last run created here; bumped atomically so IIDs stay gapless per experiment.
    last_run_iid: Mapped[int] = mapped_column(Integer, default=0)

    tags: Mapped[list["ExperimentTag"]] = relationship(
        back_populates="experiment", cascade="all, delete-orphan", order_by="ExperimentTag.key"
    )

    @property
    def package_name(self) -> str:
        return names.package_name(self.id)

    @property
    def artifact_location(self) -> str:
        return names.experiment_artifact_location(self.id)


class ExperimentTag(db.Model):
    __tablename__ = "experiment_tags"

    experiment_id: Mapped[int] = mapped_column(
        ForeignKey("experiments.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)

    experiment: Mapped[Experiment] = relationship(back_populates="tags")


class Run(db.Model):
    """One training run; `uuid` is MLflow's run_id, `iid` counts 1, 2, 3… within its experiment."""

    __tablename__ = "runs"
    __table_args__ = (
        UniqueConstraint("experiment_id", "iid"),
        Index("ix_runs_experiment_start", "experiment_id", "start_time", "uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(32), unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    iid: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(250))
    user_id: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="RUNNING")
    start_time: Mapped[int] = mapped_column(Int64)
    end_time: Mapped[int | None] = mapped_column(Int64, nullable=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(32), default=ACTIVE)
    deleted_time: Mapped[int | None] = mapped_column(Int64, nullable=True)

    experiment: Mapped[Experiment] = relationship()
    params: Mapped[list["Param"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Param.key"
    )
    tags: Mapped[list["RunTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RunTag.key"
    )
    latest_metrics: Mapped[list["LatestMetric"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="LatestMetric.key"
    )

    @property
    def artifact_uri(self) -> str:
        return names.run_artifact_uri(self.experiment_id, self.iid)


class Param(db.Model):
    __tablename__ = "params"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunTag(db.Model):
    __tablename__ = "run_tags"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Metric(db.Model):
    """One logged point of a metric's history; exact repeats are stored once, as MLflow does.

    SQLite cannot store NaN (it reads back as NULL), so NaN is kept as is_nan with value 0; nor
    -0.0 (a REAL that is a whole number is stored as an integer), so -0.0 is also kept as
    negative_zero (NULL otherwise; services/metrics.py puts the sign back on reading).
    """

    __tablename__ = "metrics"
    __table_args__ = (
        # Also serves the history in MLflow's order (timestamp, step, value).
        UniqueConstraint("run_id", "key", "timestamp", "step", "value", "is_nan"),
        # Charts cut a history into step ranges; each range is read from this index alone.
        Index("ix_metrics_chart", "run_id", "key", "is_nan", "step", "value"),
        # Most points belong to no logged model: index only those that do. On PostgreSQL the
        # same condition is added by add_postgresql_index_conditions().
        Index("ix_metrics_model_id", "model_id", sqlite_where=text(MODEL_ID_PRESENT)),
        # The rare points logged as -0.0, found without leaving the covering history index.
        Index("ix_metrics_negative_zero", "run_id", "key", sqlite_where=text(NEGATIVE_ZERO)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))
    value: Mapped[float] = mapped_column(Float)
    is_nan: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp: Mapped[int] = mapped_column(Int64)
    step: Mapped[int] = mapped_column(Int64, default=0)
    # Set when the point was logged for an MLflow 3 logged model (and on which dataset).
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dataset_name: Mapped[str | None] = mapped_column(String(500), nullable=True)
    dataset_digest: Mapped[str | None] = mapped_column(String(36), nullable=True)
    negative_zero: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # last: added by a migration


class LatestMetric(db.Model):
    """The value a run shows for a metric: its largest (step, timestamp, value).

    `value_json` is the value as Python writes it in JSON (shortest exact form), so search
    pages built by SQLite's JSON functions carry every double exactly.
    """

    __tablename__ = "latest_metrics"
    __table_args__ = (Index("ix_latest_metrics_key_value", "key", "value"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[float] = mapped_column(Float)
    value_json: Mapped[str | None] = mapped_column(String(32), nullable=True)
    is_nan: Mapped[bool] = mapped_column(Boolean, default=False)
    timestamp: Mapped[int] = mapped_column(Int64)
    step: Mapped[int] = mapped_column(Int64, default=0)


class ExperimentKey(db.Model):
    """Every param and metric key used in an experiment, for the runs table's columns."""

    __tablename__ = "experiment_keys"

    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"),
                                               primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "param" | "metric"
    key: Mapped[str] = mapped_column(String(250), primary_key=True)


def add_postgresql_index_conditions() -> None:
    """Give the partial indexes of metrics their conditions on PostgreSQL (database.configure_engine
    calls this for a PostgreSQL database). Writing `postgresql_where` in the Index itself made
    SQLAlchemy import its PostgreSQL dialect on every start, ~80 ms, though most servers run on
    SQLite."""
    conditions = {"ix_metrics_model_id": MODEL_ID_PRESENT, "ix_metrics_negative_zero": NEGATIVE_ZERO}
    for index in Metric.__table__.indexes:
        if index.name in conditions:
            index.dialect_options["postgresql"]["where"] = text(conditions[index.name])
