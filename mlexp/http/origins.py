"""Which Host headers and which browser origins the server answers: DNS rebinding and
cross-site writes are refused, as MLflow's server does by default since 3.5.

A rebinding page reaches the server under the attacker's own host name, so only names this
machine is known by (and address literals of loopback and private networks) are served. A page
on another site can make the browser send a write without a preflight (a `text/plain` POST); the
browser then says where it comes from in `Origin`, and only this server's own origin and
localhost are let through, unless the configuration names more.
"""
import fnmatch
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})
PRIVATE_NETWORKS = tuple(ipaddress.ip_network(net) for net in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"))
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})
DEFAULT_PORTS = {"http": 80, "https": 443}
INVALID_HOST_MESSAGE = ("Invalid Host header {host!r} - possible DNS rebinding attack detected; "
                        "set MLEXP_ALLOWED_HOSTS to serve this name")
CROSS_ORIGIN_MESSAGE = ("Cross-origin request blocked: {origin!r} may not change anything here; "
                        "set MLEXP_CORS_ALLOWED_ORIGINS to allow it")


def split_host(host: str) -> tuple[str, int | None]:
    """'Example.org:8080' → ('example.org', 8080); '[::1]' → ('::1', None); bad ports → None."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
    port_number = int(port) if port.isdigit() and len(port) <= 5 else None
    return name.rstrip("."), port_number


def _address(name: str):
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_loopback(name: str) -> bool:
    address = _address(name)
    return name in LOOPBACK_NAMES or name.endswith(".localhost") or bool(address and address.is_loopback)


def _settings(value) -> list[str]:
    """A setting given as a list, or as a comma-separated string (from the environment)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else list(value)
    return [str(item).strip().lower() for item in items if str(item).strip()]


@dataclass(frozen=True)
class OriginPolicy:
    """Built once from the configuration; its checks are pure and cheap (they run on every request)."""

    allowed_hosts: tuple[str, ...]  # names, name:port, fnmatch patterns, CIDR networks, or "*"
    allowed_origins: tuple[str, ...]  # scheme://host[:port], fnmatch patterns, or "*"
    private_addresses: bool  # address literals of private networks (the default list only)

    @classmethod
    def from_config(cls, config) -> "OriginPolicy":
        hosts = _settings(config.get("ALLOWED_HOSTS"))
        listen = str(config.get("HOST") or "").strip("[]").lower()
        defaults = not hosts
        if defaults:
            # Listening on every address: this machine's name, and the wildcard address itself
            # (browsers open http://0.0.0.0:… on this machine).
            hosts = [listen] if listen not in WILDCARD_ADDRESSES else [
                socket.gethostname().lower(), "0.0.0.0", "::"]
        return cls(tuple(hosts), tuple(_settings(config.get("CORS_ALLOWED_ORIGINS"))), defaults)

    def host_allowed(self, host: str | None) -> bool:
        """Loopback names and addresses always; then the configured list (by default: the
        address the server listens on and private-network address literals)."""
        if not host:
            return False
        if "*" in self.allowed_hosts:
            return True
        name, port = split_host(host)
        if not name or is_loopback(name):
            return bool(name)
        address = _address(name)
        if self.private_addresses and address is not None and any(
                address in network for network in PRIVATE_NETWORKS if network.version == address.version):
            return True
        return any(_host_matches(pattern, name, port, address) for pattern in self.allowed_hosts)

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        """Whether a browser page at `origin` may send a state-changing request to `host`: no
        Origin (not a browser's cross-site request), the same origin, localhost, or configured."""
        if origin is None:
            return True
        origin = origin.strip().lower()
        if "*" in self.allowed_origins or any(
                fnmatch.fnmatchcase(origin, allowed) if "*" in allowed else origin == allowed.rstrip("/")
                for allowed in self.allowed_origins):
            return True
        parts = urlsplit(origin)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return False  # "null" (sandboxed frames, files) and anything that is not a web origin
        if is_loopback(parts.hostname.rstrip(".")):
            return True
        return host is not None and _same_site(parts, host)

    def is_cross_origin(self, origin: str | None, host: str | None) -> bool:
        """A browser request from another origin (for CORS answers); None and same-origin are not."""
        if origin is None:
            return False
        parts = urlsplit(origin.strip().lower())
        return not (parts.scheme in DEFAULT_PORTS and parts.hostname and host and _same_site(parts, host))


def _host_matches(pattern: str, name: str, port: int | None, address) -> bool:
    """One entry of ALLOWED_HOSTS: a CIDR network, or a name (fnmatch `*` allowed) with an
    optional port (`name:*` is any port)."""
    if "/" in pattern:
        try:
            network = ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return False
        return address is not None and address.version == network.version and address in network
    if pattern.startswith("["):
        name_pattern, _, rest = pattern[1:].partition("]")
        port_pattern = rest[1:]
    elif pattern.count(":") == 1:
        name_pattern, _, port_pattern = pattern.partition(":")
    else:
        name_pattern, port_pattern = pattern, ""
    if port_pattern not in ("", "*") and port_pattern != str(port):
        return False
    if "*" in name_pattern:
        return fnmatch.fnmatchcase(name, name_pattern)
    return name == name_pattern.rstrip(".")


def _same_site(origin_parts, host: str) -> bool:
    """The origin names this server as the Host header does (the scheme's default port when the
    Host header has none; behind a TLS proxy the scheme differs, so ports are compared as given)."""
    try:
        origin_port = origin_parts.port or DEFAULT_PORTS[origin_parts.scheme]
    except ValueError:
        return False
    name, port = split_host(host)
    return origin_parts.hostname.rstrip(".") == name and origin_port == (port or DEFAULT_PORTS[origin_parts.scheme])
