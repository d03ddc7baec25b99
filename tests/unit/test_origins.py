"""Which Host headers and Origins the server answers (http/origins.py), as pure checks."""
import pytest

from mlexp.http.origins import OriginPolicy, split_host


def policy(**config) -> OriginPolicy:
    return OriginPolicy.from_config({"HOST": "127.0.0.1", **config})


@pytest.mark.parametrize("host, expected", [
    ("example.org", ("example.org", None)), ("Example.ORG:8080", ("example.org", 8080)),
    ("[::1]:5000", ("::1", 5000)), ("[::1]", ("::1", None)), ("10.0.0.1:99999999", ("10.0.0.1", None)),
    ("example.org.:80", ("example.org", 80)), ("::1", ("::1", None)),
])
def test_split_host_reads_name_and_port_when_given_a_host_header(host, expected):
    assert split_host(host) == expected


@pytest.mark.parametrize("host", [
    "localhost", "localhost:5000", "LOCALHOST:1", "127.0.0.1", "127.0.0.1:5000", "127.8.9.10:80",
    "[::1]", "[::1]:5000", "app.localhost:5000", "10.1.2.3", "10.1.2.3:5000", "172.16.0.1:80",
    "172.31.255.255", "192.168.1.20:5000", "[fd00::1]:5000", "[fc12::7]",
])
def test_default_policy_serves_loopback_and_private_addresses_when_nothing_is_configured(host):
    assert policy().host_allowed(host)


@pytest.mark.parametrize("host", [
    "evil.example", "evil.example:5000", "10.evil.example", "192.168.1.1.evil.example", "172.32.0.1",
    "8.8.8.8:5000", "[2001:db8::1]:5000", "localhost.evil.example", "", None, "0.0.0.0:5000",
    "127.0.0.1.nip.io",
])
def test_default_policy_refuses_other_names_when_nothing_is_configured(host):
    assert not policy().host_allowed(host)


def test_listen_address_is_served_when_the_server_listens_on_it():
    assert policy(HOST="203.0.113.7").host_allowed("203.0.113.7:5000")
    assert not policy(HOST="203.0.113.7").host_allowed("203.0.113.8:5000")


def test_wildcard_listen_serves_the_machine_name_and_any_address_literal_of_it(monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "Trainbox")
    wildcard = policy(HOST="0.0.0.0")
    assert wildcard.host_allowed("trainbox:5000") and wildcard.host_allowed("0.0.0.0:5000")
    assert not wildcard.host_allowed("evil.example")


@pytest.mark.parametrize("configured, allowed, refused", [
    ("mlexp.team.org", ["mlexp.team.org", "MLEXP.team.org:443", "localhost"], ["10.0.0.1", "team.org"]),
    ("*.team.org", ["mlexp.team.org:5000", "a.b.team.org"], ["team.org", "evilteam.org"]),
    ("mlexp.team.org:8443", ["mlexp.team.org:8443"], ["mlexp.team.org:80", "mlexp.team.org"]),
    ("mlexp.team.org:*", ["mlexp.team.org:1", "mlexp.team.org"], ["other.team.org"]),
    ("10.20.0.0/16, [2001:db8::1]", ["10.20.3.4:5000", "[2001:db8::1]:80"], ["10.21.0.1", "192.168.0.1"]),
    ("*", ["anything.example:1", "8.8.8.8"], []),
])
def test_configured_hosts_replace_the_private_addresses_when_set(configured, allowed, refused):
    configured_policy = policy(ALLOWED_HOSTS=configured)
    assert [h for h in allowed if not configured_policy.host_allowed(h)] == []
    assert [h for h in refused if configured_policy.host_allowed(h)] == []


@pytest.mark.parametrize("origin, host", [
    (None, "127.0.0.1:5000"),  # not a browser's cross-site request
    ("http://127.0.0.1:5000", "127.0.0.1:5000"), ("http://localhost:3000", "127.0.0.1:5000"),
    ("http://[::1]:8080", "localhost:5000"), ("https://mlexp.team.org", "mlexp.team.org"),
    ("http://mlexp.team.org:5000", "mlexp.team.org:5000"), ("http://MLEXP.team.org", "mlexp.team.org:80"),
])
def test_same_origin_localhost_and_requests_without_origin_may_write_when_sent(origin, host):
    assert policy().origin_allowed(origin, host)


@pytest.mark.parametrize("origin, host", [
    ("http://evil.example", "127.0.0.1:5000"), ("null", "127.0.0.1:5000"),
    ("http://ui.team.org", "mlexp.team.org:5000"), ("https://mlexp.team.org", "mlexp.team.org:5000"),
    ("http://mlexp.team.org.evil.example", "mlexp.team.org"), ("file://", "localhost:5000"),
    ("http://10.0.0.5:5000", "10.0.0.6:5000"), ("", "127.0.0.1:5000"),
])
def test_other_origins_may_not_write_when_nothing_is_configured(origin, host):
    assert not policy().origin_allowed(origin, host)


def test_configured_origins_may_write_when_listed_or_matched():
    configured = policy(CORS_ALLOWED_ORIGINS="https://ui.team.org, https://*.lab.team.org")
    assert configured.origin_allowed("https://ui.team.org", "mlexp.team.org")
    assert configured.origin_allowed("https://a.lab.team.org", "mlexp.team.org")
    assert not configured.origin_allowed("http://ui.team.org", "mlexp.team.org")
    assert policy(CORS_ALLOWED_ORIGINS="*").origin_allowed("http://evil.example", "x")


def test_cross_origin_is_told_from_same_origin_when_answering_cors():
    assert policy().is_cross_origin("http://localhost:3000", "127.0.0.1:5000")
    assert not policy().is_cross_origin("http://127.0.0.1:5000", "127.0.0.1:5000")
    assert not policy().is_cross_origin(None, "127.0.0.1:5000")
