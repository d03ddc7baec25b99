"""Access tokens: made once and shown once, stored only as a SHA-256, revoked by name.

Tokens are 256 random bits, so a plain SHA-256 is enough to keep the table useless to a
thief (no dictionary to try); a slow password hash would only slow every request down.
"""
import hashlib
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select

from mlexp.clock import now_ms
from mlexp.errors import AlreadyExists, InvalidParameter, NotFound
from mlexp.extensions import db
from mlexp.models import ApiToken, PageSession
from mlexp.storage.transaction import write_transaction

SCOPES = ("read", "write")
TOKEN_PREFIX = "mlexp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
# A page log-in ends by log-out, by revoking its token, or after this long (Flask's default
# lifetime of a permanent session).
PAGE_SESSION_MS = 31 * 24 * 3600 * 1000


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
    with write_transaction() as tx:
        if tx.session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
            raise AlreadyExists(f"A token named {name!r} already exists")
        tx.session.add(ApiToken(name=name, scope=scope, token_hash=hash_token(token)))
    return token


def list_tokens() -> list[ApiToken]:
    """Every token, revoked ones included, by name."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.name)))


def revoke_token(name: str) -> None:
    """Make the named token stop working at once; revoking twice is harmless.

    Raises:
        NotFound: no token has that name.
    """
    with write_transaction() as tx:
        token = tx.session.scalar(select(ApiToken).where(ApiToken.name == name))
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


@dataclass(frozen=True)
class AccessFacts:
    """Everything a request's access is decided from, read in two small queries (see
    http/access.py, which keeps one copy per process for a second)."""

    tokens_exist: bool
    by_token_hash: dict[str, Principal]  # active tokens only
    by_name: dict[str, Principal]  # the same, by token name
    session_names: dict[str, str]  # page session key hash → its active token's name

    def principal_of_token(self, token: str) -> Principal | None:
        return self.by_token_hash.get(hash_token(token))

    def principal_of_session(self, key: str) -> Principal | None:
        name = self.session_names.get(hash_token(key))
        return self.by_name.get(name) if name else None


def access_facts() -> AccessFacts:
    """The tokens table and the live page sessions (a team has tens of each, not thousands)."""
    rows = db.session.execute(select(ApiToken.token_hash, ApiToken.name, ApiToken.scope,
                                     ApiToken.revoked_time)).all()
    active = {row.token_hash: Principal(row.name, row.scope) for row in rows if row.revoked_time is None}
    by_name = {principal.name: principal for principal in active.values()}
    sessions = db.session.execute(select(PageSession.key_hash, PageSession.token_name)
                                  .where(PageSession.created_time > now_ms() - PAGE_SESSION_MS)).all()
    return AccessFacts(bool(rows), active, by_name, {row.key_hash: row.token_name for row in sessions
                                                     if row.token_name in by_name})


def start_page_session(name: str) -> str:
    """A new page session for the token called `name`; returns the key its cookie carries.
    Sessions past their lifetime are removed on the way."""
    key = secrets.token_urlsafe(32)
    with write_transaction() as tx:
        tx.session.execute(delete(PageSession)
                           .where(PageSession.created_time <= now_ms() - PAGE_SESSION_MS))
        tx.session.add(PageSession(key_hash=hash_token(key), token_name=name))
    return key


def end_page_session(key: str) -> None:
    """Log-out: the session's key stops working, wherever its cookie was copied to."""
    with write_transaction() as tx:
        tx.session.execute(delete(PageSession).where(PageSession.key_hash == hash_token(key)))
