"""Datasets and the runs that used them (MLflow's run inputs)."""
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mlexp.extensions import db


class Dataset(db.Model):
    """A dataset a run used, identified within its experiment by (name, digest)."""

    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("experiment_id", "name", "digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(500))
    digest: Mapped[str] = mapped_column(String(36))
    source_type: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(Text)
    schema: Mapped[str | None] = mapped_column(Text, nullable=True)
    profile: Mapped[str | None] = mapped_column(Text, nullable=True)


class RunInput(db.Model):
    """A run's use of a dataset; its tags (e.g. mlflow.data.context) say how it was used."""

    __tablename__ = "run_inputs"
    __table_args__ = (UniqueConstraint("run_id", "dataset_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))


class InputTag(db.Model):
    __tablename__ = "input_tags"

    input_id: Mapped[int] = mapped_column(ForeignKey("run_inputs.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(String(500))
