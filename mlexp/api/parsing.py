"""Request parsing: query string for GET (and HEAD), JSON body otherwise, through a request schema."""
import json
import re

from flask import current_app, request
from marshmallow import Schema, ValidationError, fields

from mlexp.errors import InvalidParameter
from mlexp.schemas import reader

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_NUL = "\x00"
NUL_MESSAGE = ("{where} holds a NUL character (U+0000), which cannot be stored (PostgreSQL text "
               "refuses it, so no backend accepts it)")


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def _query_arguments(schema: Schema) -> dict:
    """GET arguments: repeated keys become lists for list fields, single values otherwise."""
    data = {}
    for name, field in schema.fields.items():
        key = field.data_key or name
        if key not in request.args:
            continue
        values = request.args.getlist(key)
        if any(_NUL in value for value in values):
            raise InvalidParameter(NUL_MESSAGE.format(where=f"Query parameter {key!r}"))
        data[key] = values if isinstance(field, fields.List) else values[-1]
    for alias in ("run_uuid",):
        if alias in request.args and alias not in data:
            data[alias] = request.args[alias]
    return data


def json_body() -> dict:
    """The request's JSON object (parsed once per request).

    Raises:
        InvalidParameter: malformed, too deep, not an object, or over MAX_JSON_BYTES.
    """
    # Bodies past the limit are refused while reading (413 → INVALID_PARAMETER_VALUE).
    request.max_content_length = current_app.config["MAX_JSON_BYTES"]
    return json_object(request.get_data(cache=True))


def json_object(raw: bytes) -> dict:
    """The JSON object in a request body (empty for an empty body).

    Raises:
        InvalidParameter: malformed, too deep or not an object.
    """
    if not raw.strip():
        return {}
    try:
        text = raw.decode(json.detect_encoding(raw))  # strict: no surrogates smuggled in as bytes
        body = json.loads(text)
        if _SURROGATE_ESCAPE.search(text):
            json.dumps(body, ensure_ascii=False).encode("utf-8")  # lone ones cannot be stored
    except UnicodeEncodeError as exc:
        raise InvalidParameter("Malformed JSON request body: a \\u escape is an unpaired UTF-16 "
                               "surrogate, which is not a character") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise InvalidParameter(f"Malformed JSON request body: {exc}") from exc
    except RecursionError as exc:
        raise InvalidParameter("Malformed JSON request body: it is nested too deeply") from exc
    if not isinstance(body, dict):
        raise InvalidParameter("The request body must be a JSON object")
    if "\\u0000" in text and _holds_nul(body):
        raise InvalidParameter(NUL_MESSAGE.format(where="The request body"))
    return body


def _describe(messages, path: str = "") -> list[str]:
    """Flatten marshmallow's nested messages into "parameter 'a.0.b': why" phrases."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            out += _describe(value, f"{path}.{key}" if path else str(key))
        return out
    texts = messages if isinstance(messages, list) else [messages]
    phrases = []
    for text in texts:
        if isinstance(text, (dict, list)):
            phrases += _describe(text, path)
        elif text == "Missing data for required field.":
            phrases.append(f"Missing value for required parameter '{path}'")
        else:
            phrases.append(f"Invalid value for parameter '{path}': {str(text).rstrip('.')}")
    return phrases


def parse(schema_class: type[Schema]) -> dict:
    """Load the current request with the request schema `schema_class`.

    Raises:
        InvalidParameter: malformed JSON, a missing required field or a value of the wrong type;
            the message names each offending parameter.
    """
    return load(schema_class, _query_arguments(reader.instance(schema_class)) if request.method in ("GET", "HEAD") else json_body())


def load(schema_class: type[Schema], data: dict) -> dict:
    """Load already-read request data with the request schema `schema_class` (no Flask needed).

    Raises:
        InvalidParameter: a missing required field or a value of the wrong type; the message
            names each offending parameter.
    """
    try:
        return reader.read(schema_class, data)
    except ValidationError as exc:
        phrases = _describe(exc.messages)
        raise InvalidParameter("; ".join(phrases) + ". See the API docs for request parameters.") from exc


def paged(name: str, items: list, next_token: str | None) -> dict:
    """A page of results; next_page_token only while more remain, as protobuf omits it."""
    return {name: items, "next_page_token": next_token} if next_token else {name: items}
