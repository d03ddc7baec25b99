"""SQL whose spelling differs between SQLite and PostgreSQL, written once as SQLAlchemy constructs.

Each construct compiles to the dialect's own form, so services stay free of dialect checks:
- `greatest(a, b)`: SQLite's two-argument scalar max(); GREATEST elsewhere.
- `like_with_case(column, pattern)`: MLflow's LIKE, which respects case. SQLite's LIKE ignores
  ASCII case, so there the pattern becomes a GLOB; PostgreSQL's LIKE respects case already.
- `like_ignoring_case(column, pattern)`: MLflow's ILIKE.
In every dialect only `%` and `_` are wildcards and no character escapes (PostgreSQL's LIKE would
otherwise treat a backslash as an escape, which SQLite's does not).
"""
from sqlalchemy import Boolean, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement, ReturnTypeFromArgs


class greatest(ReturnTypeFromArgs):  # noqa: N801  (named like the SQL function it stands for)
    """The larger of its arguments (NULL if any is NULL on SQLite, ignored on PostgreSQL: callers
    coalesce first)."""

    inherit_cache = True


@compiles(greatest)
def _greatest(element, compiler, **kw):
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


def _glob(pattern: str) -> str:
    """A LIKE pattern as a GLOB: % → *, _ → ?, and GLOB's own *, ?, [ made literal."""
    special = {"%": "*", "_": "?", "*": "[*]", "?": "[?]", "[": "[[]"}
    return "".join(special.get(ch, ch) for ch in pattern)


class _Like(FunctionElement):
    """Holds the pattern both as given and as a GLOB; each dialect renders the one it needs."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, column, pattern: str):
        super().__init__(column, literal(pattern), literal(_glob(pattern)))


class like_with_case(_Like):  # noqa: N801
    """column LIKE pattern, case-sensitive, as MLflow's search grammar means it."""

    inherit_cache = True


class like_ignoring_case(_Like):  # noqa: N801
    """column ILIKE pattern."""

    inherit_cache = True


def _operands(element, compiler, *, glob: bool = False, **kw) -> tuple[str, str]:
    column, pattern, glob_pattern = element.clauses.clauses
    return compiler.process(column, **kw), compiler.process(glob_pattern if glob else pattern, **kw)


@compiles(like_with_case)
def _like(element, compiler, **kw):
    column, pattern = _operands(element, compiler, **kw)
    return f"({column} LIKE {pattern} ESCAPE '')"


@compiles(like_ignoring_case)
def _ilike(element, compiler, **kw):
    column, pattern = _operands(element, compiler, **kw)
    return f"({column} ILIKE {pattern} ESCAPE '')"


@compiles(like_with_case, "sqlite")
def _like_sqlite(element, compiler, **kw):
    column, glob = _operands(element, compiler, glob=True, **kw)
    return f"({column} GLOB {glob})"


@compiles(like_ignoring_case, "sqlite")
def _ilike_sqlite(element, compiler, **kw):
    column, pattern = _operands(element, compiler, **kw)
    return f"(lower({column}) LIKE lower({pattern}))"
