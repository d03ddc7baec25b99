"""Page tokens round-trip offsets; anything the server did not hand out is InvalidParameter."""
import base64
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlexp.errors import InvalidParameter
from mlexp.search.paging import (
    decode_keyset_token,
    decode_page_token,
    encode_keyset_token,
    encode_page_token,
    validate_max_results,
)

FAST = settings(max_examples=300, deadline=None, database=None)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize("offset", [0, 1, 7, 100, 1000, 10**6, 2**53, 2**63 - 1])
def test_offset_survives_round_trip_when_encoded_then_decoded(offset):
    assert decode_page_token(encode_page_token(offset)) == offset


def test_token_is_url_safe_text_when_encoded():
    token = encode_page_token(123456789)
    assert isinstance(token, str)
    assert re.fullmatch(r"[A-Za-z0-9_\-]+=*", token)


def test_tokens_differ_when_offsets_differ():
    assert len({encode_page_token(n) for n in range(50)}) == 50


@pytest.mark.parametrize("token", [None, ""])
def test_first_page_is_offset_zero_when_no_token_is_given(token):
    assert decode_page_token(token) == 0


@pytest.mark.parametrize("token", [
    "abc",
    "not a token",
    "%%%%",
    "\ud800",
    "é",
    b64(b"not json"),
    b64(b"\xff\xfe\x00"),
    b64(b"[1, 2]"),
    b64(b'"offset"'),
    b64(b"5"),
    b64(b"null"),
    b64(b"{}"),
    b64(b'{"page": 1}'),
    b64(b'{"offset": null}'),
    b64(b'{"offset": "5"}'),
    b64(b'{"offset": [5]}'),
    b64(b'{"offset": 1.5}'),
    b64(b'{"offset": 2.0}'),
    b64(b'{"offset": 1e400}'),
    b64(b'{"offset": NaN}'),
    b64(b'{"offset": -1}'),
    b64(b'{"offset": -100}'),
    b64(b'{"offset": true}'),
    b64(b'{"offset": false}'),
])
def test_token_is_rejected_when_not_made_by_this_server(token):
    with pytest.raises(InvalidParameter) as exc:
        decode_page_token(token)
    assert exc.value.message.startswith(f"Invalid page token {token!r}")


@pytest.mark.parametrize("payload, reason", [
    (b'{"offset": -1}', "bad offset"),
    (b'{"offset": true}', "bad offset"),
    (b"not json", "pass back a next_page_token exactly as it was returned"),
])
def test_rejection_says_why_when_token_is_malformed(payload, reason):
    with pytest.raises(InvalidParameter, match=reason):
        decode_page_token(b64(payload))


@FAST
@given(token=st.text())
def test_decoding_returns_offset_or_raises_invalid_parameter_when_given_any_text(token):
    try:
        offset = decode_page_token(token)
    except InvalidParameter:
        return
    assert isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=8,
)


@FAST
@given(payload=st.one_of(JSON, st.fixed_dictionaries({"offset": JSON})))
def test_decoding_accepts_only_non_negative_int_offsets_when_payload_is_any_json(payload):
    token = b64(json.dumps(payload).encode())
    offset = payload.get("offset") if isinstance(payload, dict) else None
    if isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset < 2**63:
        assert decode_page_token(token) == offset
    else:
        with pytest.raises(InvalidParameter):
            decode_page_token(token)


# json.loads raises RecursionError on deeply nested JSON; it used to escape as a 500.
@pytest.mark.parametrize("payload", [
    b"[" * 100_000, b"[" * 100_000 + b"]" * 100_000, b'{"offset": ' + b"[" * 100_000,
    b'{"a":' * 100_000,
])
def test_token_is_rejected_when_payload_is_deeply_nested_json(payload):
    token = b64(payload)
    with pytest.raises(InvalidParameter) as exc:
        decode_page_token(token)
    assert exc.value.message.startswith(f"Invalid page token {token!r}: pass back")


# An offset beyond int64 used to reach SQLite (OverflowError -> 500); no token this server
# makes holds one.
@pytest.mark.parametrize("offset", [2**63, 2**70, 10**400])
def test_token_is_rejected_when_offset_exceeds_int64(offset):
    with pytest.raises(InvalidParameter, match="bad offset"):
        decode_page_token(b64(b'{"offset": %d}' % offset))


@pytest.mark.parametrize("value, expected", [(None, 50), (1, 1), (37, 37), (1000, 1000)])
def test_page_size_is_kept_or_defaulted_when_within_bounds(value, expected):
    assert validate_max_results(value, default=50, limit=1000) == expected


@pytest.mark.parametrize("value", [0, -1, -1000, 1001, 10**9])
def test_page_size_is_rejected_when_outside_one_to_limit(value):
    with pytest.raises(InvalidParameter) as exc:
        validate_max_results(value, default=50, limit=1000)
    assert exc.value.message == (
        f"Invalid value {value} for parameter 'max_results': it must be between 1 and 1000"
    )


@pytest.mark.parametrize("values", [[], [1, "a", None], [1.5, 2**62, "x" * 50]])
def test_keyset_values_survive_round_trip_when_the_query_is_the_same(values):
    assert decode_keyset_token(encode_keyset_token(values, "q1"), "q1") == values


@pytest.mark.parametrize("token", [None, ""])
def test_keyset_is_none_when_no_token_is_given(token):
    assert decode_keyset_token(token, "q1") is None


def test_keyset_token_is_rejected_when_it_belongs_to_another_query():
    with pytest.raises(InvalidParameter, match="it belongs to a different search"):
        decode_keyset_token(encode_keyset_token([1], "q1"), "q2")


@pytest.mark.parametrize("payload", [
    b"not json", b"[1]", b'{"after": [1]}', b'{"query": "q1"}', b"[" * 100_000,
    b'{"after": ' + b"[" * 100_000, b'{"after": 1, "query": "q1"}',
])
def test_keyset_token_is_rejected_when_malformed_or_deeply_nested(payload):
    with pytest.raises(InvalidParameter, match="Invalid page token"):
        decode_keyset_token(b64(payload), "q1")
