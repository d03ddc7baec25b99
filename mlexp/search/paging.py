"""Opaque page tokens: what the client hands back to get the next page.

A token is URL-safe base64 of a 16-byte HMAC-SHA256 tag, keyed with the instance's secret, then
the JSON it stands for. Only tokens this server made are accepted: with an unkeyed token anyone
could forge the offset or the sort values to resume after, and those reach the query.
"""
import base64
import binascii
import hashlib
import hmac
import json

from mlexp.errors import InvalidParameter

_TAG_BYTES = 16
_PURPOSE = b"mlexp page token\0"  # the secret also signs session cookies: keep the uses apart


def encode_page_token(offset: int, *, secret: str | bytes) -> str:
    return _encode({"offset": offset}, secret)


def decode_page_token(token: str | None, *, secret: str | bytes) -> int:
    """The offset a token stands for; no token means the first page.

    Raises:
        InvalidParameter: the token was not made by this server.
    """
    if not token:
        return 0
    offset = _decode(token, secret, "offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < 2**63:
        raise InvalidParameter(f"Invalid page token {token!r}: bad offset")
    return offset


def encode_keyset_token(values: list, query_signature: str, *, secret: str | bytes) -> str:
    """A token that resumes after the row whose sort values are `values`."""
    return _encode({"after": values, "query": query_signature}, secret)


def decode_keyset_token(token: str | None, query_signature: str, *, secret: str | bytes) -> list | None:
    """The sort values to resume after, or None for the first page.

    Raises:
        InvalidParameter: the token was not made by this server or belongs to another query.
    """
    if not token:
        return None
    values, signature = _decode(token, secret, "after", "query")
    if signature != query_signature or not isinstance(values, list):
        raise InvalidParameter(f"Invalid page token {token!r}: it belongs to a different search "
                               "(experiment ids, filter or order_by changed)")
    return values


def _tag(payload: bytes, secret: str | bytes) -> bytes:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, _PURPOSE + payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _encode(content: dict, secret: str | bytes) -> str:
    payload = json.dumps(content, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_tag(payload, secret) + payload).decode()


def _decode(token: str, secret: str | bytes, *fields: str):
    """The named fields of a token this server signed.

    Raises:
        InvalidParameter: anything else, however it is malformed.
    """
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        tag, payload = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
        if not hmac.compare_digest(tag, _tag(payload, secret)):
            raise ValueError("not signed by this server")
        content = json.loads(payload)
        values = tuple(content[field] for field in fields)
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeError, RecursionError) as exc:
        raise InvalidParameter(f"Invalid page token {token!r}: pass back a next_page_token "
                               "exactly as it was returned") from exc
    return values[0] if len(values) == 1 else values
