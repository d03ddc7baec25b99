"""Base schema and the protobuf-JSON field types MLflow's wire format uses."""
import math
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_dump, pre_load, validate


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")
MISSING = "Missing data for required field."
# Protobuf reads an absent string as "", so MLflow treats "" as missing for required fields.
non_empty = validate.Length(min=1, error=MISSING)


class WireSchema(Schema):
    """MLflow JSON: tolerate unknown keys from newer clients; omit nulls like protobuf JSON."""

    class Meta:
        unknown = EXCLUDE

    @pre_load
    def _as_protobuf_reads_it(self, data, **kwargs):
        """Like protobuf's JSON parser: null means "not set", camelCase names are accepted."""
        if not isinstance(data, dict):
            return data
        loaded = {}
        for key, value in data.items():
            if value is None:
                continue
            if key not in self.fields and isinstance(key, str):
                snake = _CAMEL_HUMP.sub(r"_\1", key).lower()
                if snake in self.fields and snake not in data:
                    key = snake
            loaded[key] = value
        return loaded

    @post_dump
    def _drop_nulls(self, data, **kwargs):
        return {k: v for k, v in data.items() if v is not None}


class RunIdRequest(WireSchema):
    """Requests that name a run: `run_uuid` is the older name of `run_id`."""

    ALIASES = {"run_uuid": "run_id"}  # schemas/reader.py reads plain input the same way
    run_id = fields.String(required=True, validate=non_empty)

    @pre_load
    def _accept_run_uuid(self, data, **kwargs):
        if isinstance(data, dict) and not data.get("run_id") and data.get("run_uuid"):
            data = {**data, "run_id": data["run_uuid"]}
        return data


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class ProtoInt(fields.Field):
    """int64 as protobuf JSON allows it: a number or a decimal string; never a bool or a fraction."""

    def _deserialize(self, value, attr, data, **kwargs):
        number = self._to_int(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValidationError(f"Value out of range for a 64-bit integer: {value!r}.")
        return number

    @staticmethod
    def _to_int(value) -> int:
        if isinstance(value, bool):
            raise ValidationError("Not a valid integer.")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise ValidationError(f"Not a valid integer: {value!r}.")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else int(value)


_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def double_to_wire(value: float, is_nan: bool = False):
    """Protobuf JSON for a double: NaN and the infinities travel as strings."""
    if is_nan or math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


class ProtoDouble(fields.Field):
    """double as protobuf JSON writes it: numbers, numeric strings, "NaN", "Infinity", "-Infinity"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise ValidationError("Not a valid double.")
        if isinstance(value, (int, float)):
            try:
                return float(value)
            except OverflowError as exc:
                raise ValidationError(f"Value out of range for a double: {value!r}.") from exc
        if isinstance(value, str):
            if value in _NON_FINITE:
                return _NON_FINITE[value]
            try:
                return float(value)
            except ValueError:
                pass
        raise ValidationError(f"Not a valid double: {value!r}.")

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else double_to_wire(float(value))


class ProtoEnum(fields.Field):
    """A protobuf enum: its name, or its number as the proto numbers it."""

    def __init__(self, names: tuple[str, ...], *, first_number: int = 1, **kwargs):
        super().__init__(**kwargs)
        self.names = names
        self.first_number = first_number

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            index = value - self.first_number
            if 0 <= index < len(self.names):
                return self.names[index]
        if isinstance(value, str) and value in self.names:
            return value
        raise ValidationError(f"Not one of {', '.join(self.names)}: {value!r}.")

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class KeyValueSchema(WireSchema):
    """A tag or param: {key, value}."""

    key = fields.String(required=True)
    value = fields.String(load_default="")


VIEW_TYPE = ("ACTIVE_ONLY", "DELETED_ONLY", "ALL")
RUN_STATUS = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
