"""The `tokens` command: create prints a token once, list never shows it, revoke ends it, and
only its SHA-256 is stored."""
import hashlib
import re
import sqlite3

import pytest

from tests.api.access.helpers import API, assert_permission_denied
from tests.api.credentials import bearer, clear_token_cache
from tests.databases import make_app


@pytest.fixture(scope="module")
def cli_app(tmp_path_factory):
    """A server for the tokens command; each test uses names of its own."""
    return make_app(tmp_path_factory.mktemp("cli"))


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["tokens", *args])


def test_cli_create_prints_the_token_once_on_stdout_when_created(cli_app):
    result = cli(cli_app, "create", "ci-bot", "--scope", "write")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert re.fullmatch(r"mlexp_[A-Za-z0-9_-]{40,}", token), result.stdout
    assert result.output.count(token) == 1
    assert token not in result.stderr
    assert "cannot be shown again" in result.stderr
    clear_token_cache(cli_app)
    response = cli_app.test_client().post(f"{API}/experiments/create", headers=bearer(token),
                                          json={"name": "by-cli"})
    assert response.status_code == 200, response.get_json()


def test_cli_create_defaults_to_write_scope_and_makes_unique_tokens_when_called_twice(cli_app):
    first = cli(cli_app, "create", "one").stdout.strip()
    second = cli(cli_app, "create", "two", "--scope", "read").stdout.strip()
    assert first != second
    listed = cli(cli_app, "list").stdout
    assert re.search(r"^one\twrite\t.*\tactive$", listed, re.MULTILINE), listed
    assert re.search(r"^two\tread\t.*\tactive$", listed, re.MULTILINE), listed


def test_cli_list_shows_names_scopes_state_but_never_the_token_or_hash_when_listing(cli_app):
    made = {name: cli(cli_app, "create", name, "--scope", scope).stdout.strip()
            for name, scope in (("alpha", "read"), ("beta", "write"))}
    assert cli(cli_app, "revoke", "alpha").exit_code == 0
    result = cli(cli_app, "list")
    assert result.exit_code == 0
    lines = [line for line in result.stdout.splitlines() if line.split("\t")[0] in made]
    assert [line.split("\t")[:2] for line in lines] == [["alpha", "read"], ["beta", "write"]]
    assert "revoked" in lines[0] and lines[1].endswith("active")
    for token in made.values():
        assert token not in result.output
        assert hashlib.sha256(token.encode()).hexdigest() not in result.output
        assert token[len("mlexp_"):][:12] not in result.output


def test_cli_list_says_access_is_open_when_no_token_exists(app):
    result = cli(app, "list")
    assert result.exit_code == 0
    assert "No tokens" in result.output and "open" in result.output


def test_cli_revoke_of_unknown_name_fails_clearly_when_no_such_token(cli_app):
    result = cli(cli_app, "revoke", "ghost")
    assert result.exit_code != 0
    assert "No token named 'ghost'" in result.output
    assert "Traceback" not in result.output


def test_cli_revoke_twice_is_harmless_when_already_revoked(cli_app):
    cli(cli_app, "create", "twice")
    assert cli(cli_app, "revoke", "twice").exit_code == 0
    again = cli(cli_app, "revoke", "twice")
    assert again.exit_code == 0, again.output


def test_cli_create_rejects_a_duplicate_name_when_it_exists_and_keeps_the_first(cli_app):
    first = cli(cli_app, "create", "dup", "--scope", "read").stdout.strip()
    result = cli(cli_app, "create", "dup", "--scope", "write")
    assert result.exit_code != 0
    assert "already exists" in result.output and "dup" in result.output
    assert not re.search(r"mlexp_[A-Za-z0-9_-]{40,}", result.stdout)
    clear_token_cache(cli_app)
    assert cli_app.test_client().get(f"{API}/experiments/search", headers=bearer(first)).status_code == 200
    refused = cli_app.test_client().post(f"{API}/experiments/create", headers=bearer(first),
                                         json={"name": "x"})
    assert_permission_denied(refused, "dup")


def test_cli_create_rejects_a_revoked_name_when_reused(cli_app):
    cli(cli_app, "create", "old")
    cli(cli_app, "revoke", "old")
    result = cli(cli_app, "create", "old")
    assert result.exit_code != 0 and "already exists" in result.output


def test_cli_create_rejects_a_bad_scope_when_given(cli_app):
    for scope in ("admin", "READ", "", "readwrite"):
        result = cli(cli_app, "create", "bad-scope", "--scope", scope)
        assert result.exit_code != 0, scope
        assert "--scope" in result.output, result.output
        assert not re.search(r"mlexp_[A-Za-z0-9_-]{40,}", result.stdout)
    assert "bad-scope" not in cli(cli_app, "list").output


def test_cli_create_rejects_a_bad_name_when_given(cli_app):
    for name in ("has space", "-dash-first", "a/b", "x" * 101, "<script>", "\u00e9", "a\nb", "trailing\n"):
        result = cli(cli_app, "create", "--", name)
        assert result.exit_code != 0, name
        assert "Invalid token name" in result.output, result.output
    listed = [line.split("\t")[0] for line in cli(cli_app, "list").stdout.splitlines()]
    assert not any(name in listed for name in ("has space", "a/b", "<script>", "\u00e9"))


@pytest.mark.sqlite_only  # reads the database files' bytes
def test_only_the_sha256_is_stored_when_a_token_is_created(app, tmp_path):
    token = cli(app, "create", "stored", "--scope", "read").stdout.strip()
    digest = hashlib.sha256(token.encode()).hexdigest()
    with sqlite3.connect(tmp_path / "mlexp.sqlite") as connection:
        rows = connection.execute("SELECT * FROM api_tokens").fetchall()
    assert len(rows) == 1
    assert digest in rows[0]
    assert not any(token in str(value) for value in rows[0])
    database_files = sorted(tmp_path.glob("mlexp.sqlite*"))
    assert database_files
    stored = b"".join(path.read_bytes() for path in database_files)
    assert token.encode() not in stored
    assert token[len("mlexp_"):].encode() not in stored
    assert digest.encode() in stored  # the search above would have seen the token
