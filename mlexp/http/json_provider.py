"""Flask's JSON responses through orjson: a 1,000-run search page is ~1 MB of JSON, and the
standard library's encoder spent more time on it than the database did."""
import json
from typing import Any

import orjson
from flask.json.provider import JSONProvider


class OrjsonProvider(JSONProvider):
    """Dump with orjson (keys in the order schemas build them); load with the standard library,
    which also accepts the bare NaN / Infinity some JSON writers emit."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return json_bytes(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, **kwargs)

    def response(self, *args: Any, **kwargs: Any):
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(json_bytes(obj) + b"\n", mimetype="application/json")


def json_bytes(obj: Any) -> bytes:
    """orjson, or the standard library for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj).encode()
