"""Opaque page tokens: what the client hands back to get the next page."""
import base64
import binascii
import json

from mlexp.errors import InvalidParameter


def encode_page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    """The offset a token stands for; no token means the first page.

    Raises:
        InvalidParameter: the token was not made by this server.
    """
    if not token:
        return 0
    offset = _decode(token, "offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < 2**63:
        raise InvalidParameter(f"Invalid page token {token!r}: bad offset")
    return offset


def validate_max_results(value: int | None, *, default: int, limit: int) -> int:
    """Raises: InvalidParameter when the page size is not between 1 and `limit`."""
    if value is None:
        return default
    if value < 1 or value > limit:
        raise InvalidParameter(
            f"Invalid value {value} for parameter 'max_results': it must be between 1 and {limit}"
        )
    return value


def encode_keyset_token(values: list, query_signature: str) -> str:
    """A token that resumes after the row whose sort values are `values`."""
    payload = json.dumps({"after": values, "query": query_signature})
    return base64.urlsafe_b64encode(payload.encode()).decode()


def decode_keyset_token(token: str | None, query_signature: str) -> list | None:
    """The sort values to resume after, or None for the first page.

    Raises:
        InvalidParameter: the token is malformed or belongs to another query.
    """
    if not token:
        return None
    values, signature = _decode(token, "after", "query")
    if signature != query_signature or not isinstance(values, list):
        raise InvalidParameter(f"Invalid page token {token!r}: it belongs to a different search "
                               "(experiment ids, filter or order_by changed)")
    return values


def _decode(token: str, *fields: str):
    """The named fields of a token made by this module.

    Raises:
        InvalidParameter: anything else, however it is malformed.
    """
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        values = tuple(payload[field] for field in fields)
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeError, RecursionError) as exc:
        raise InvalidParameter(f"Invalid page token {token!r}: pass back a next_page_token "
                               "exactly as it was returned") from exc
    return values[0] if len(values) == 1 else values
