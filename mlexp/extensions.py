"""Flask extensions, created unbound so the app factory can attach them."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model in mlexp.models."""


db = SQLAlchemy(model_class=Base)
