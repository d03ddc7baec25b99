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
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = payload["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeError) as exc:
        raise InvalidParameter(f"Invalid page token {token!r}: pass back a next_page_token "
                               "exactly as it was returned") from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
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
