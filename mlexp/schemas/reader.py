"""One reader per request message: its schema.

Every request is loaded through `read(schema_class, data)`. The schema is the message's only
definition; `read` compiles it once into a plain reader that takes the input clients send
(exact JSON types, no nulls, no unknown or camelCase keys) straight from the schema's own field
list, defaults and validators, and hands anything else to marshmallow's `load`, which also
converts the looser forms protobuf JSON allows ("NaN", "12", camelCase names, nulls) and words
every error. Nested marshmallow schemas cost ~10 µs a field, half of a 100-metric log-batch;
the plain reader answers the same dict without that cost (tests/unit/test_schema_reader.py
checks it agrees with `load` on generated input, for every request schema).
"""
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing

from mlexp.schemas.base import INT64_MAX, INT64_MIN, ProtoDouble, ProtoEnum, ProtoInt, WireSchema


class _NotPlain(Exception):
    """Raised inside a plain reader: marshmallow reads this input instead."""


# Hooks that change nothing for plain input: WireSchema drops nulls and renames camelCase keys
# (plain input has neither), RunIdRequest takes run_uuid for an empty run_id (ALIASES below).
_NEUTRAL_HOOKS = {"_as_protobuf_reads_it", "_accept_run_uuid"}


def _not_plain(value):
    raise _NotPlain


def _validated(read_value: Callable, validators) -> Callable:
    if not validators:
        return read_value

    def read(value):
        value = read_value(value)
        try:
            for validator in validators:
                validator(value)
        except ValidationError:
            raise _NotPlain from None
        return value
    return read


def _value_reader(field: fields.Field) -> Callable:
    """A function returning the loaded value of one plainly typed field, or raising _NotPlain."""
    if isinstance(field, ProtoInt):
        def read(value):
            if type(value) is int and INT64_MIN <= value <= INT64_MAX:
                return value
            raise _NotPlain
    elif isinstance(field, ProtoDouble):
        def read(value):
            if type(value) is float:
                return value
            if type(value) is int:
                try:
                    return float(value)
                except OverflowError:
                    raise _NotPlain from None
            raise _NotPlain
    elif isinstance(field, ProtoEnum):
        names = frozenset(field.names)

        def read(value):
            if type(value) is str and value in names:
                return value
            raise _NotPlain
    elif type(field) is fields.String:
        def read(value):
            if type(value) is str:
                return value
            raise _NotPlain
    elif type(field) is fields.Boolean:
        def read(value):
            if type(value) is bool:
                return value
            raise _NotPlain
    elif type(field) is fields.Nested and isinstance(field.nested, type) and not field.many \
            and not field.only and not field.exclude:
        read_object = _object_reader(field.nested)
        if read_object is None:
            return _not_plain
        read = read_object
    elif type(field) is fields.List:
        read_item = _value_reader(field.inner)
        if read_item is _not_plain:
            return _not_plain

        def read(value):
            if type(value) is not list:
                raise _NotPlain
            return [read_item(item) for item in value]
    else:
        return _not_plain
    return _validated(read, field.validators)


_compiled: dict[type[Schema], Callable | None] = {}


def _object_reader(schema_class: type[Schema]) -> Callable | None:
    """The plain reader of `schema_class`, or None when its hooks may change plain input."""
    if schema_class in _compiled:
        return _compiled[schema_class]
    _compiled[schema_class] = None  # a schema nesting itself is read by marshmallow
    hooks = schema_class.resolve_hooks()
    if not issubclass(schema_class, WireSchema) or any(
            name not in _NEUTRAL_HOOKS for tag, entries in hooks.items() if "dump" not in tag
            for name, _, _ in entries):
        return None
    schema = schema_class()
    by_key, required, defaults, factories = {}, set(), {}, []
    for name, field in schema.load_fields.items():
        key, attribute = field.data_key or name, field.attribute or name
        by_key[key] = (attribute, _value_reader(field))
        if field.required:
            required.add(key)
        elif callable(field.load_default):
            factories.append((key, attribute, field.load_default))
        elif field.load_default is not missing:
            defaults[attribute] = field.load_default
    aliases = getattr(schema_class, "ALIASES", {})
    accepted = by_key.keys() | aliases.keys()

    def read(data):
        if type(data) is not dict or not data.keys() <= accepted:
            raise _NotPlain
        if aliases:
            data = dict(data)
            for alias, target in aliases.items():
                if alias in data:  # as RunIdRequest's hook: the alias fills an empty target
                    value = data.pop(alias)
                    if value is None:
                        raise _NotPlain
                    if not data.get(target) and value:
                        data[target] = value
        if not required <= data.keys():
            raise _NotPlain
        loaded = defaults.copy()
        for key, value in data.items():
            if value is None:
                raise _NotPlain
            attribute, read_value = by_key[key]
            loaded[attribute] = read_value(value)
        for key, attribute, factory in factories:
            if key not in data:
                loaded[attribute] = factory()
        return loaded

    _compiled[schema_class] = read
    return read


_schemas: dict[type[Schema], Schema] = {}


def instance(schema_class: type[Schema]) -> Schema:
    """One instance per request schema: building one deep-copies its fields (~0.3 ms), and
    loading does not change the instance, so threads can share it."""
    schema = _schemas.get(schema_class)
    if schema is None:
        schema = _schemas[schema_class] = schema_class()
    return schema


def read(schema_class: type[Schema], data: Any) -> dict:
    """`schema_class().load(data)`, reading plainly typed input without marshmallow.

    Raises:
        ValidationError: as `load` raises it, for input the schema refuses.
    """
    plain = _object_reader(schema_class)
    if plain is not None:
        try:
            return plain(data)
        except _NotPlain:
            pass
    return instance(schema_class).load(data)
