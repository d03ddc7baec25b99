"""Access tokens: made once and shown once, stored only as a SHA-256, revoked by name.

Tokens are 256 random bits, so a plain SHA-256 is enough to keep the table useless to a
thief (no dictionary to try); a slow password hash would only slow every request down.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from mlexp.clock import now_ms
from mlexp.errors import AlreadyExists, InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ApiToken
from mlexp.services.transaction import write_transaction

SCOPES = ("read", "write")
TOKEN_PREFIX = "mlexp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: the token's name, and whether it may write."""

    name: str
    scope: str

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(name: str, scope: str) -> str:
    """Store a new token under `name` and return it; this is the only time it is seen.

    Raises:
        InvalidParameter: a name that is not 1-100 of letters, digits, '.', '_', '@', '-',
            or a scope other than read/write.
        AlreadyExists: a token of that name exists (revoked ones included: names stay unique,
            so the runs a name recorded keep pointing at one token).
    """
    if not _NAME.fullmatch(name or ""):  # fullmatch: `$` alone lets a trailing newline in
        raise InvalidParameter(f"Invalid token name {name!r}: use 1-100 letters, digits, "
                               "'.', '_', '@' or '-', starting with a letter or digit")
    if scope not in SCOPES:
        raise InvalidParameter(f"Invalid scope {scope!r}: use one of {', '.join(SCOPES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction() as session:
        if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
            raise AlreadyExists(f"A token named {name!r} already exists")
        session.add(ApiToken(name=name, scope=scope, token_hash=hash_token(token)))
    return token


def list_tokens() -> list[ApiToken]:
    """Every token, revoked ones included, by name."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(name: str) -> None:
    """Make the named token stop working at once; revoking twice is harmless.

    Raises:
        NotFound: no token has that name.
    """
    with write_transaction() as session:
        token = session.scalar(select(ApiToken).where(ApiToken.name == name))
        if token is None:
            raise NotFound(f"No token named {name!r}")
        if token.revoked_time is None:
            token.revoked_time = now_ms()


def tokens_configured() -> bool:
    """True once any token was made: from then on access needs an active one. Revoking the
    last token keeps the server closed rather than opening it to everyone."""
    return db.session.scalar(select(ApiToken.id).limit(1)) is not None


def principal_for(token: str) -> Principal | None:
    """The principal of an active token, or None for an unknown or revoked one."""
    row = db.session.execute(
        select(ApiToken.name, ApiToken.scope)
        .where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_time.is_(None))
    ).first()
    return Principal(row.name, row.scope) if row else None


def principal_named(name: str) -> Principal | None:
    """The principal of the active token called `name` (a page session remembers the name)."""
    row = db.session.execute(
        select(ApiToken.name, ApiToken.scope)
        .where(ApiToken.name == name, ApiToken.revoked_time.is_(None))
    ).first()
    return Principal(row.name, row.scope) if row else None
