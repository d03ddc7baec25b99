"""MLflow 3 logged models and their links to runs."""
from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mlexp import names
from mlexp.clock import now_ms
from mlexp.extensions import db
from mlexp.models.columns import ACTIVE, Int64, same_as_creation_time


class LoggedModel(db.Model):
    """An MLflow 3 logged model; its files live in its experiment's package under models/."""

    __tablename__ = "logged_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), unique=True)
    experiment_id: Mapped[int] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"),
                                               index=True)
    name: Mapped[str] = mapped_column(String(500))
    model_type: Mapped[str | None] = mapped_column(String(500), nullable=True)
    source_run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(32), default="LOGGED_MODEL_PENDING")
    status_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    creation_time: Mapped[int] = mapped_column(Int64, default=lambda: now_ms())
    last_updated_time: Mapped[int] = mapped_column(Int64, default=same_as_creation_time)
    lifecycle_stage: Mapped[str] = mapped_column(String(32), default=ACTIVE)

    tags: Mapped[list["LoggedModelTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="LoggedModelTag.key")
    params: Mapped[list["LoggedModelParam"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="LoggedModelParam.key")

    @property
    def artifact_uri(self) -> str:
        return names.logged_model_artifact_uri(self.experiment_id, self.model_id)


class LoggedModelTag(db.Model):
    __tablename__ = "logged_model_tags"

    model_pk: Mapped[int] = mapped_column(ForeignKey("logged_models.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class LoggedModelParam(db.Model):
    __tablename__ = "logged_model_params"

    model_pk: Mapped[int] = mapped_column(ForeignKey("logged_models.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RunModelLink(db.Model):
    """A logged model a run used (input) or produced (output, at a step)."""

    __tablename__ = "run_model_links"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)  # "input" | "output"
    step: Mapped[int] = mapped_column(Int64, default=0)
