"""Page tokens round-trip offsets; anything the server did not hand out is InvalidParameter.

Tokens are signed: `signed` makes one as this server would, to reach the checks behind the
signature; `b64` makes one as anyone could before tokens were signed.
"""
import base64
import hashlib
import hmac
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlexp.errors import InvalidParameter
from mlexp.search import paging

FAST = settings(max_examples=300, deadline=None, database=None)
SECRET = "instance-secret"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def signed(payload: bytes, secret: str = SECRET) -> str:
    tag = hmac.new(secret.encode(), b"mlexp page token\0" + payload, hashlib.sha256).digest()[:16]
    return b64(tag + payload)


def encode_page_token(offset):
    return paging.encode_page_token(offset, secret=SECRET)


def decode_page_token(token):
    return paging.decode_page_token(token, secret=SECRET)


def encode_keyset_token(values, query):
    return paging.encode_keyset_token(values, query, secret=SECRET)


def decode_keyset_token(token, query):
    return paging.decode_keyset_token(token, query, secret=SECRET)


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


MALFORMED = [
    b"not json", b"\xff\xfe\x00", b"[1, 2]", b'"offset"', b"5", b"null", b"{}", b'{"page": 1}',
    b'{"offset": null}', b'{"offset": "5"}', b'{"offset": [5]}', b'{"offset": 1.5}',
    b'{"offset": 2.0}', b'{"offset": 1e400}', b'{"offset": NaN}', b'{"offset": -1}',
    b'{"offset": -100}', b'{"offset": true}', b'{"offset": false}',
]


@pytest.mark.parametrize("token", [
    "abc", "not a token", "%%%%", "\ud800", "é",
    *[b64(payload) for payload in MALFORMED], *[signed(payload) for payload in MALFORMED],
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
        decode_page_token(signed(payload))


# Before tokens were signed, anyone could hand back any offset or sort values (2**70 and
# [[[1]]] reached the query: 500s).
@pytest.mark.parametrize("token", [
    b64(b'{"offset": 5}'),
    signed(b'{"offset": 5}', secret="another instance"),
    b64(base64.urlsafe_b64decode(signed(b'{"offset": 5}'))[:16] + b'{"offset": 6}'),
    b64(b"\0" * 16 + b'{"offset": 5}'),
    b64(base64.urlsafe_b64decode(signed(b'{"offset": 5}'))[:10]),
])
def test_token_is_rejected_when_forged_or_tampered_with(token):
    with pytest.raises(InvalidParameter, match="pass back a next_page_token exactly as it was returned"):
        decode_page_token(token)


def test_token_is_accepted_when_signed_with_this_instance_secret():
    assert decode_page_token(signed(b'{"offset": 5}')) == 5
    assert decode_keyset_token(signed(b'{"after": [1, "x"], "query": "q1"}'), "q1") == [1, "x"]


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
    token = signed(json.dumps(payload).encode())
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
    token = signed(payload)
    with pytest.raises(InvalidParameter) as exc:
        decode_page_token(token)
    assert exc.value.message.startswith(f"Invalid page token {token!r}: pass back")


# An offset beyond int64 used to reach SQLite (OverflowError -> 500); no token this server
# makes holds one.
@pytest.mark.parametrize("offset", [2**63, 2**70, 10**400])
def test_token_is_rejected_when_offset_exceeds_int64(offset):
    with pytest.raises(InvalidParameter, match="bad offset"):
        decode_page_token(signed(b'{"offset": %d}' % offset))


@pytest.mark.parametrize("values", [[], [1, "a", None], [1.5, 2**62, "x" * 50]])
def test_keyset_values_survive_round_trip_when_the_query_is_the_same(values):
    assert decode_keyset_token(encode_keyset_token(values, "q1"), "q1") == values


@pytest.mark.parametrize("token", [None, ""])
def test_keyset_is_none_when_no_token_is_given(token):
    assert decode_keyset_token(token, "q1") is None


def test_keyset_token_is_rejected_when_forged_for_this_query():
    with pytest.raises(InvalidParameter, match="pass back a next_page_token"):
        decode_keyset_token(b64(b'{"after": [[[1]], "x"], "query": "q1"}'), "q1")


def test_keyset_token_is_rejected_when_it_belongs_to_another_query():
    with pytest.raises(InvalidParameter, match="it belongs to a different search"):
        decode_keyset_token(encode_keyset_token([1], "q1"), "q2")


@pytest.mark.parametrize("payload", [
    b"not json", b"[1]", b'{"after": [1]}', b'{"query": "q1"}', b"[" * 100_000,
    b'{"after": ' + b"[" * 100_000, b'{"after": 1, "query": "q1"}',
])
def test_keyset_token_is_rejected_when_malformed_or_deeply_nested(payload):
    with pytest.raises(InvalidParameter, match="Invalid page token"):
        decode_keyset_token(signed(payload), "q1")
