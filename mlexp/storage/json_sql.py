"""JSON text built by the database, described once and spelled for SQLite or PostgreSQL.

Both spellings give the same bytes, compact as orjson writes them (no spaces; strings escaped
with \\" \\\\ \\b \\f \\n \\r \\t and \\u00xx for other control characters, everything else as is):
- SQLite: json_object / json_group_array, its fastest way (a value of theirs keeps its JSON
  subtype, so nesting them embeds JSON rather than quoting it).
- PostgreSQL: text concatenation of to_json() texts; its json_build_object writes `"a" : 1`.

An expression here is a string of SQL; `obj` and `array` compose them. Members marked OPTIONAL
are left out where their value is NULL, as protobuf JSON leaves out unset fields.
"""
import json
import re

from sqlalchemy.engine import Dialect

_NAME = re.compile(r"[a-z_]+")


class JsonSql:
    """Builders of JSON-producing SQL expressions for one dialect (see the module doc)."""

    OPTIONAL = True
    name = ""
    marker = "?"  # the DB-API placeholder

    def text(self, sql: str) -> str:
        """A JSON string holding the text expression `sql`."""
        raise NotImplementedError

    def number(self, sql: str) -> str:
        """A JSON number of the integer expression `sql`."""
        raise NotImplementedError

    def raw(self, sql: str) -> str:
        """The JSON text held in the text expression `sql`, as is."""
        raise NotImplementedError

    def string_literal(self, value: str) -> str:
        """A constant JSON string (plain ASCII), e.g. for a CASE branch beside `raw`."""
        raise NotImplementedError

    def double_text(self, sql: str) -> str:
        """The database's own text of a double: a JSON number when finite."""
        raise NotImplementedError

    def obj(self, *members: tuple) -> str:
        """A JSON object of (name, value) or (name, value, OPTIONAL) members, in order."""
        raise NotImplementedError

    def array(self, element: str, source: str, where: str, order: str, *, by_index: bool = True,
              null_when_empty: bool = False) -> str:
        """A JSON array of `element` over the rows `FROM source WHERE where`, ordered by `order`;
        [] when there are none, or NULL (for an OPTIONAL member).

        by_index: the index that the WHERE's equality uses already yields `order` (a primary key
        led by the WHERE's column). SQLite before 3.44 has no ORDER BY inside an aggregate, so
        there rows are aggregated as the index yields them; other orders are sorted first in a
        subquery (over a single table `source`, "table alias"), which costs ~20% on a page.
        """
        raise NotImplementedError

    def by_bytes(self, column: str) -> str:
        """`column` to order by as SQLite does, byte by byte, whatever the database's collation."""
        raise NotImplementedError

    def in_list(self, column: str) -> str:
        """`column` is one of the values bound to one placeholder by `list_param`."""
        raise NotImplementedError

    def list_param(self, values: list[int]):
        raise NotImplementedError

    @staticmethod
    def _check(members: tuple) -> None:
        for member in members:
            if not _NAME.fullmatch(member[0]):
                raise ValueError(f"member names are plain lowercase words: {member[0]!r}")


class SqliteJson(JsonSql):
    name = "sqlite"
    marker = "?"

    def text(self, sql):
        return sql  # json_object quotes text arguments

    def number(self, sql):
        return sql

    def raw(self, sql):
        return f"json({sql})"

    def string_literal(self, value):
        return f"'{value}'"

    def double_text(self, sql):
        return f"printf('%!.17g', {sql})"

    def obj(self, *members):
        self._check(members)
        built = "json_object(" + ", ".join(f"'{m[0]}', {m[1]}" for m in members) + ")"
        if any(len(m) > 2 and m[2] for m in members):
            # A merge patch onto {} drops the members that are null (and, in nested objects, theirs).
            return f"json_patch('{{}}', {built})"
        return built

    def array(self, element, source, where, order, *, by_index=True, null_when_empty=False):
        rows = f"{source} WHERE {where}"
        if not by_index:
            alias = source.split()[-1]
            rows = f"(SELECT * FROM {source} WHERE {where} ORDER BY {order}) AS {alias}"
        aggregate = f"json_group_array({element})"
        if null_when_empty:
            aggregate = f"CASE WHEN count(*) THEN {aggregate} END"
        return f"(SELECT {aggregate} FROM {rows})"

    def by_bytes(self, column):
        return column  # BINARY, SQLite's default collation

    def in_list(self, column):
        return f"{column} IN (SELECT value FROM json_each(?))"

    def list_param(self, values):
        return json.dumps(values)


class PostgresJson(JsonSql):
    name = "postgresql"
    marker = "%s"

    def text(self, sql):
        return f"to_json(({sql})::text)::text"

    def number(self, sql):
        return f"CAST({sql} AS TEXT)"

    def raw(self, sql):
        return sql

    def string_literal(self, value):
        return f"'\"{value}\"'"

    def double_text(self, sql):
        return f"CAST({sql} AS TEXT)"

    def obj(self, *members):
        self._check(members)
        parts = []
        for name, value, *optional in members:
            part = f"',\"{name}\":' || {value}"
            parts.append(f"coalesce({part}, '')" if optional and optional[0] else part)
        if len(members[0]) > 2 and members[0][2]:
            return "'{' || substr(" + " || ".join(parts) + ", 2) || '}'"
        first = f"'{{\"{members[0][0]}\":' || {members[0][1]}"
        return "(" + " || ".join([first, *parts[1:], "'}'"]) + ")"

    def array(self, element, source, where, order, *, by_index=True, null_when_empty=False):
        aggregate = f"'[' || string_agg({element}, ',' ORDER BY {order}) || ']'"  # NULL over no rows
        built = f"(SELECT {aggregate} FROM {source} WHERE {where})"
        return built if null_when_empty else f"coalesce({built}, '[]')"

    def by_bytes(self, column):
        return f'{column} COLLATE "C"'

    def in_list(self, column):
        return f"{column} = ANY(%s)"

    def list_param(self, values):
        return list(values)


_DIALECTS = {"sqlite": SqliteJson(), "postgresql": PostgresJson()}


def json_sql(dialect: Dialect) -> JsonSql:
    """The builders for this SQLAlchemy dialect."""
    return _DIALECTS[dialect.name]
