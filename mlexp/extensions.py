"""Flask extensions, created unbound so the app factory can attach them."""
from contextvars import ContextVar

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model in mlexp.models."""


# The write transaction open in this context (storage/transaction.py sets it), if any.
open_write: ContextVar = ContextVar("mlexp_open_write", default=None)


class Session(FlaskSession):
    """db.session: inside a write transaction it works on that transaction's connection, so ORM
    work and compiled statements commit together, whichever helper touched the session."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        write = open_write.get()
        if write is not None and bind is None:
            return write.join(self)
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
