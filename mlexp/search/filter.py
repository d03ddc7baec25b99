"""MLflow filter strings → a list of comparisons. Pure: no SQL, no Flask.

A filter is comparisons joined by AND, e.g. ``metrics.acc > 0.9 and params.lr = '0.1'``.
Each entity (metric, param, tag, attribute, dataset) has an explicit table of the comparators
and value kinds it accepts, given per searchable resource in search/entities.py.
"""
import re
from dataclasses import dataclass

from mlexp.errors import InvalidParameter
from mlexp.search.entities import (EXPERIMENT_PREFIXES, EXPERIMENT_RULES, LOGGED_MODEL_PREFIXES,
                                   LOGGED_MODEL_RULES, MODEL_VERSION_RULES, REGISTERED_MODEL_RULES,
                                   NULL_CHECKS, REGISTRY_PREFIXES, RUN_PREFIXES, RUN_RULES, EntityRule)
from mlexp.validation import parse_experiment_id

# Each comparison nests one level deeper in SQL; SQLite refuses expressions past depth 1000.
MAX_COMPARISONS = 100


@dataclass(frozen=True)
class Comparison:
    """`entity.key comparator value`; value is a float, a str, a tuple of str, or None."""

    entity: str
    key: str
    comparator: str
    value: object = None


# Possessive quantifiers (++, *+) keep every token linear: no backtracking on long input.
_TOKEN = re.compile(
    r"""
    (?P<space>\s++)
  | (?P<string>'(?:[^'\\]|\\.|'')*+'|"(?:[^"\\]|\\.)*+")
  | (?P<backtick>`[^`]*+`)
  | (?P<number>-?(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE]-?\d++)?+)(?![\w.])
  | (?P<op>!=|>=|<=|=|>|<)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<comma>,)
  | (?P<dot>\.)
  | (?P<word>\w++)
    """,
    re.VERBOSE,
)


@dataclass
class _Token:
    kind: str
    text: str
    pos: int


def _tokenize(text: str) -> list[_Token]:
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            snippet = text[pos:pos + 20]
            if snippet[0] in "'\"`":
                raise InvalidParameter(f"Unclosed quote at position {pos} in filter: {snippet!r}")
            raise InvalidParameter(f"Unexpected character at position {pos} in filter: {snippet!r}")
        if match.lastgroup != "space":
            tokens.append(_Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    return tokens


def _unquote(token: _Token) -> str:
    """The text inside quotes; only an escaped quote loses its backslash (C:\\data stays)."""
    body = token.text[1:-1]
    if token.kind != "string":
        return body
    quote = token.text[0]
    if quote == "'":
        body = body.replace("''", "'")
    return body.replace("\\" + quote, quote)


def _number(text: str) -> int | float:
    """Integer literals within int64 stay int (times must be integers); anything else is a float,
    as MLflow compares metrics as doubles."""
    if re.fullmatch(r"-?\d{1,19}", text) and -(2**63) <= int(text) < 2**63:
        return int(text)
    return float(text)


class _Parser:
    def __init__(self, text: str, rules: dict, prefixes: dict):
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.rules = rules
        self.prefixes = prefixes

    def peek(self, offset: int = 0) -> _Token | None:
        i = self.index + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise InvalidParameter(f"Filter ended early: {self.text!r}")
        self.index += 1
        return token

    def is_word(self, token: _Token | None, *words: str) -> bool:
        return token is not None and token.kind == "word" and token.text.upper() in words

    def parse(self) -> list[Comparison]:
        comparisons = [self.comparison()]
        while self.peek() is not None:
            token = self.take()
            if not self.is_word(token, "AND"):
                raise InvalidParameter(
                    f"Invalid clause {token.text!r} at position {token.pos} in filter "
                    f"{self.text!r}: only comparisons joined by AND are supported"
                )
            if len(comparisons) == MAX_COMPARISONS:
                raise InvalidParameter(f"The filter has more than {MAX_COMPARISONS} comparisons; "
                                       "narrow the search with fewer, broader ones")
            comparisons.append(self.comparison())
        return comparisons

    def identifier(self) -> tuple[str, str]:
        """`prefix.key` (key bare, `quoted` or "quoted"), or a bare attribute name."""
        first = self.take()
        if first.kind == "word" and self.peek() is not None and self.peek().kind == "dot":
            self.take()
            key_token = self.take()
            entity_name = first.text
            if key_token.kind in ("backtick", "string"):
                key = _unquote(key_token)
            elif key_token.kind in ("word", "number"):
                key = key_token.text
                # Bare keys may contain dots: metrics.a.b is the key "a.b".
                while self.peek() is not None and self.peek().kind == "dot":
                    self.take()
                    key += "." + self.take().text
            else:
                raise InvalidParameter(
                    f"Invalid key {key_token.text!r} at position {key_token.pos}: quote keys "
                    "with backticks, e.g. metrics.`my metric`"
                )
        elif first.kind == "word" or first.kind == "backtick" or (
                first.kind == "string" and first.text[0] == '"'):
            entity_name, key = None, first.text if first.kind == "word" else _unquote(first)
        else:
            raise InvalidParameter(
                f"Invalid identifier {first.text!r} at position {first.pos}: expected "
                "'metrics.<key>', 'params.<key>', 'tags.<key>', 'attributes.<name>' or "
                "'datasets.<field>'"
            )
        if entity_name is None:
            return "attribute", key
        entity = self.prefixes.get(entity_name)
        if entity is None:
            allowed = ", ".join(sorted(self.prefixes))
            raise InvalidParameter(
                f"Invalid entity type {entity_name!r} in filter; expected one of: {allowed}"
            )
        return entity, key

    def comparator(self) -> str:
        token = self.take()
        if token.kind == "op":
            return token.text
        if self.is_word(token, "LIKE", "ILIKE", "IN"):
            return token.text.upper()
        if self.is_word(token, "NOT") and self.is_word(self.peek(), "IN", "LIKE", "ILIKE"):
            return "NOT " + self.take().text.upper()
        if self.is_word(token, "IS"):
            if self.is_word(self.peek(), "NOT"):
                self.take()
                null = self.take()
                if self.is_word(null, "NULL"):
                    return "IS NOT NULL"
            elif self.is_word(self.peek(), "NULL"):
                self.take()
                return "IS NULL"
        raise InvalidParameter(f"Invalid comparator {token.text!r} at position {token.pos}")

    def value(self, comparator: str):
        if comparator in NULL_CHECKS:
            return None
        if comparator in ("IN", "NOT IN"):
            return self.value_list()
        token = self.take()
        if token.kind == "number":
            return _number(token.text)
        if token.kind == "string":
            return _unquote(token)
        raise InvalidParameter(
            f"Invalid value {token.text!r} at position {token.pos}: expected a quoted string "
            "or a number"
        )

    def value_list(self) -> tuple:
        opening = self.take()
        if opening.kind != "lparen":
            raise InvalidParameter(
                f"Expected '(' after IN at position {opening.pos}, e.g. IN ('a', 'b')"
            )
        values = []
        while True:
            token = self.take()
            if token.kind != "string":
                raise InvalidParameter(
                    f"Invalid list item {token.text!r} at position {token.pos}: IN lists hold "
                    "quoted strings"
                )
            values.append(_unquote(token))
            closing = self.take()
            if closing.kind == "rparen":
                return tuple(values)
            if closing.kind != "comma":
                raise InvalidParameter(f"Expected ',' or ')' at position {closing.pos}")

    def comparison(self) -> Comparison:
        entity, key = self.identifier()
        comparator = self.comparator()
        value = self.value(comparator)
        return _checked(self.rules[entity], Comparison(entity, key, comparator, value))


def _checked(rule: EntityRule, comp: Comparison) -> Comparison:
    """Apply the entity's rule: known key, allowed comparator, right kind of value."""
    key = rule.key_aliases.get(comp.key, comp.key)
    if rule.keys is not None and key not in rule.keys:
        allowed = ", ".join(sorted(rule.keys))
        raise InvalidParameter(f"Invalid {comp.entity} key {comp.key!r}; expected one of: {allowed}")
    numeric = comp.entity == "metric" or key in rule.numeric_keys
    allowed = rule.numeric_comparators if numeric else rule.string_comparators
    allowed = rule.key_comparators.get(key, allowed)
    if comp.comparator not in allowed:
        raise InvalidParameter(
            f"Invalid comparator {comp.comparator!r} for {comp.entity} {key!r}; "
            f"expected one of: {', '.join(sorted(allowed))}"
        )
    if comp.comparator in ("IN", "NOT IN") and rule.list_keys is not None \
            and key not in rule.list_keys:
        raise InvalidParameter(
            f"{comp.comparator} lists are only supported for {', '.join(sorted(rule.list_keys))}, "
            f"not for {comp.entity} {key!r}"
        )
    is_number = isinstance(comp.value, (int, float))
    if numeric and not is_number:
        raise InvalidParameter(
            f"Expected a numeric value for {comp.entity} {key!r}, got {comp.value!r}"
        )
    if numeric and rule.integer_only and not isinstance(comp.value, int):
        raise InvalidParameter(
            f"Expected an integer value for {comp.entity} {key!r}, got {comp.value!r}"
        )
    if not numeric and is_number:
        raise InvalidParameter(
            f"Expected a quoted string value for {comp.entity} {key!r}, got {comp.value!r}"
        )
    if key in rule.id_keys:
        for value in comp.value if isinstance(comp.value, tuple) else (comp.value,):
            parse_experiment_id(value)
    return Comparison(comp.entity, key, comp.comparator, comp.value)


def parse_filter(text: str | None, rules: dict, prefixes: dict) -> list[Comparison]:
    """Parse a filter string against one resource's rules; empty or blank means no filter.

    Raises:
        InvalidParameter: the text is not a filter these rules accept; the message says where.
    """
    if text is None or not text.strip():
        return []
    return _Parser(text, rules, prefixes).parse()


def parse_run_filter(text: str | None) -> list[Comparison]:
    return parse_filter(text, RUN_RULES, RUN_PREFIXES)


def parse_experiment_filter(text: str | None) -> list[Comparison]:
    return parse_filter(text, EXPERIMENT_RULES, EXPERIMENT_PREFIXES)


def parse_logged_model_filter(text: str | None) -> list[Comparison]:
    return parse_filter(text, LOGGED_MODEL_RULES, LOGGED_MODEL_PREFIXES)


def parse_registered_model_filter(text: str | None) -> list[Comparison]:
    return parse_filter(text, REGISTERED_MODEL_RULES, REGISTRY_PREFIXES)


def parse_model_version_filter(text: str | None) -> list[Comparison]:
    return parse_filter(text, MODEL_VERSION_RULES, REGISTRY_PREFIXES)
