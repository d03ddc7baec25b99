"""The model registry: registered models, their versions, tags and aliases."""
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mlexp.clock import now_ms
from mlexp.extensions import db
from mlexp.models.columns import Int64, same_as_creation_time


class RegisteredModel(db.Model):
    """A named model in the registry; its versions point at runs' or logged models' files."""

    __tablename__ = "registered_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(256), unique=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    creation_time: Mapped[int] = mapped_column(Int64, default=lambda: now_ms())
    last_updated_time: Mapped[int] = mapped_column(Int64, default=same_as_creation_time)
    # The last version number handed out; versions are never renumbered or reused.
    last_version: Mapped[int] = mapped_column(Integer, default=0)

    tags: Mapped[list["RegisteredModelTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RegisteredModelTag.key")
    aliases: Mapped[list["RegisteredModelAlias"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="RegisteredModelAlias.alias")
    versions: Mapped[list["ModelVersion"]] = relationship(
        back_populates="registered_model", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ModelVersion.version")


class RegisteredModelTag(db.Model):
    __tablename__ = "registered_model_tags"

    model_pk: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"),
                                          primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RegisteredModelAlias(db.Model):
    __tablename__ = "registered_model_aliases"

    model_pk: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"),
                                          primary_key=True)
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class ModelVersion(db.Model):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_pk", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_pk: Mapped[int] = mapped_column(ForeignKey("registered_models.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(Text)
    run_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    model_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    run_link: Mapped[str | None] = mapped_column(Text, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    current_stage: Mapped[str] = mapped_column(String(20), default="None")
    status: Mapped[str] = mapped_column(String(32), default="READY")
    creation_time: Mapped[int] = mapped_column(Int64, default=lambda: now_ms())
    last_updated_time: Mapped[int] = mapped_column(Int64, default=same_as_creation_time)

    registered_model: Mapped[RegisteredModel] = relationship(back_populates="versions")
    tags: Mapped[list["ModelVersionTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ModelVersionTag.key")


class ModelVersionTag(db.Model):
    __tablename__ = "model_version_tags"

    version_pk: Mapped[int] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"),
                                            primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
