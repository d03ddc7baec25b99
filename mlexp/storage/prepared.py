"""Statements compiled once per dialect and run straight on a DBAPI cursor: the logging hot path.

Building, compiling and executing a Core statement through SQLAlchemy costs ~150 µs of Python
per statement, which dominated a `log-metric` call (five statements, ~40 µs of SQLite work in
all). Compiling each statement once per dialect and handing its SQL text to the driver keeps
SQLAlchemy's dialect knowledge (placeholders, ON CONFLICT, quoting) without paying for it on
every call.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement


class Prepared:
    """One statement with named bind parameters, compiled lazily for each dialect used.

    Give the statement itself, or a function of the dialect's name that builds it (for
    dialect-specific constructs such as INSERT … ON CONFLICT).
    """

    def __init__(self, statement: ClauseElement | Callable[[str], ClauseElement]):
        self._build = statement if callable(statement) and not isinstance(statement, ClauseElement) \
            else (lambda _name: statement)
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None, dict]] = {}

    def _sql(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None, dict]:
        """SQL text, the positional order of bind names (None for named styles), and the
        values of binds the statement fixed itself (the 1 of `x + 1`)."""
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            text = self._build(dialect.name).compile(dialect=dialect)
            order = tuple(text.positiontup) if dialect.positional else None
            fixed = {name: bind.value for name, bind in text.binds.items() if not bind.required}
            compiled = self._compiled[dialect.name] = (str(text), order, fixed)
        return compiled

    @staticmethod
    def _arguments(order, fixed: dict, params: dict):
        if fixed:
            params = {**fixed, **params}
        return tuple([params[name] for name in order]) if order is not None else params

    def execute(self, cursor, dialect: Dialect, params: dict):
        """Run once with `params` (bind name → value); returns the cursor for fetching."""
        sql, order, fixed = self._sql(dialect)
        cursor.execute(sql, self._arguments(order, fixed, params))
        return cursor

    def executemany(self, cursor, dialect: Dialect, rows: list[dict]) -> None:
        """Run for every row (bind name → value) in one driver call."""
        if not rows:
            return
        sql, order, fixed = self._sql(dialect)
        cursor.executemany(sql, [self._arguments(order, fixed, row) for row in rows])


def execute_statement(cursor, dialect: Dialect, statement: ClauseElement):
    """Compile a one-off statement with the values it carries (IN lists of varying length,
    rare paths) and run it on the cursor; returns the cursor for fetching."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    if dialect.positional:
        cursor.execute(str(compiled), tuple(params[name] for name in compiled.positiontup))
    else:
        cursor.execute(str(compiled), params)
    return cursor
