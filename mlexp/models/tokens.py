"""Access tokens (stored as hashes)."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mlexp.clock import now_ms
from mlexp.extensions import db
from mlexp.models.columns import Int64


class ApiToken(db.Model):
    """An access token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    scope: Mapped[str] = mapped_column(String(8))  # "read" | "write"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_time: Mapped[int] = mapped_column(Int64, default=lambda: now_ms())
    revoked_time: Mapped[int | None] = mapped_column(Int64, nullable=True)


class PageSession(db.Model):
    """A log-in to the pages: the cookie carries a random key, only its SHA-256 is stored, and
    logging out deletes the row, so a copied cookie stops working with it."""

    __tablename__ = "page_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_name: Mapped[str] = mapped_column(String(100), index=True)
    created_time: Mapped[int] = mapped_column(Int64, default=lambda: now_ms())
