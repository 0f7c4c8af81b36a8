"""The remote provider: existing deployments named in a targets file (TOML).

A targets file names deployments, never secrets; credentials come from environment variables
whose *names* the file gives::

    [[targets]]
    id = "staging-files"                 # the target id in reports
    product = "wsgidav"                  # a catalog name (see `overstap targets`)
    endpoints = { webdav = "https://files.example.org/dav/" }
    username_env = "STAGING_DAV_USER"    # optional: names of environment variables
    password_env = "STAGING_DAV_PASSWORD"
    # capabilities = ["webdav"]          # optional: what this deployment claims (default: the product's)
    # version = "4.3.3"                  # optional: else read from the Server header

This is how an integrator points Overstap at a staging server.

An entry with ``provider = "container"`` instead names an image that the containers provider starts for
the run (an upstream image, where a registry is reachable, or any local one); its endpoints are *paths*
on the image's ``port``, and its environment is given in the file or taken from the caller's
environment, so that secrets stay out of the file::

    [[targets]]
    id = "radicale-upstream"
    product = "radicale"
    provider = "container"
    image = "docker.io/tomsquest/docker-radicale:3.5.0.0"
    port = 5232
    endpoints = { caldav = "/", carddav = "/" }
    environment = { TZ = "UTC" }                    # plain values, never secrets
    environment_env = { ADMIN_PASSWORD = "MY_PW" }  # container variable = name of a variable here
    # username_env / password_env: the account the image is set up with, for the checks
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import requests

from harness import catalog
from harness.target import Credentials, Target


class TargetsFileError(ValueError):
    """The targets file cannot be used; the message says which entry and what to change."""


@dataclass
class RemoteEntry:
    """One ``[[targets]]`` table of a targets file, checked but not yet contacted."""

    id: str
    product: str
    endpoints: dict[str, str]
    capabilities: frozenset[str]
    suites: tuple[str, ...]
    username_env: str | None = None
    password_env: str | None = None
    version: str | None = None
    source: str = ""
    extra: dict = field(default_factory=dict)
    provider: str = "remote"
    image: str | None = None
    port: int | None = None
    environment: dict[str, str] = field(default_factory=dict)
    environment_env: dict[str, str] = field(default_factory=dict)

    def credentials(self) -> Credentials | None:
        """The account named by ``username_env`` / ``password_env`` (an unset one reads as ""), or None when the
        entry names neither. Check :meth:`missing_env` first to tell the user what to set."""
        if not self.username_env and not self.password_env:
            return None
        return Credentials(os.environ.get(self.username_env or "", ""), os.environ.get(self.password_env or "", ""))

    def missing_env(self) -> list[str]:
        """Names of the environment variables this entry names (credentials, container environment) that are not set."""
        names = [self.username_env, self.password_env, *self.environment_env.values()]
        return [name for name in names if name and name not in os.environ]


def load_targets_file(path: str | Path) -> list[RemoteEntry]:
    """Read and check a targets file.

    Returns:
        the entries in file order.

    Raises:
        TargetsFileError: unreadable file, bad TOML, unknown product, missing endpoints, duplicate id,
            or a secret written into the file (``password`` instead of ``password_env``).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetsFileError(f"cannot read targets file {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TargetsFileError(f"{path} is not valid TOML: {exc}") from exc
    tables = data.get("targets")
    if not isinstance(tables, list) or not tables:
        raise TargetsFileError(f"{path}: no [[targets]] tables; see the example in docs/targets.md")
    entries, seen = [], set()
    for number, table in enumerate(tables, 1):
        where = f"{path}, target #{number}"
        if not isinstance(table, dict):
            raise TargetsFileError(f"{where}: expected a table")
        for secret_key in ("password", "token", "secret"):
            if secret_key in table:
                raise TargetsFileError(
                    f"{where}: the file must not hold secrets; put the secret in an environment variable "
                    f"and name it with {secret_key}_env" if secret_key == "password" else
                    f"{where}: the file must not hold secrets ({secret_key!r})")
        target_id = table.get("id")
        product_name = table.get("product")
        if not isinstance(target_id, str) or not target_id:
            raise TargetsFileError(f"{where}: 'id' (a string) is required")
        if not ID_PATTERN.fullmatch(target_id):
            raise TargetsFileError(f"{where}: id {target_id!r} may hold only letters, digits, '.', '_' and '-' "
                                   "(it names files and containers)")
        if target_id in seen:
            raise TargetsFileError(f"{where}: duplicate id {target_id!r}")
        seen.add(target_id)
        try:
            product = catalog.get(str(product_name))
        except catalog.UnknownProduct as exc:
            raise TargetsFileError(f"{where} ({target_id}): {exc}") from None
        provider = table.get("provider", "remote")
        if provider == "container":
            entries.append(_container_entry(table, f"{where} ({target_id})", product, path))
            continue
        if provider != "remote":
            raise TargetsFileError(f"{where} ({target_id}): provider must be \"remote\" (default) or \"container\"")
        endpoints = table.get("endpoints")
        if not isinstance(endpoints, dict) or not endpoints:
            raise TargetsFileError(f"{where} ({target_id}): 'endpoints' is required, e.g. "
                                   f"endpoints = {{ webdav = \"https://host/dav/\" }}")
        for service, url in endpoints.items():
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                raise TargetsFileError(f"{where} ({target_id}): endpoint {service} must be an http(s) URL")
        endpoints = {k: (v if v.endswith("/") else v + "/") for k, v in endpoints.items()}
        capabilities, suites = _names(table, "capabilities", product.capabilities, where), \
            _names(table, "suites", product.suites, where)
        _version(table, where)
        entries.append(RemoteEntry(
            id=target_id, product=product.name, endpoints=endpoints, capabilities=frozenset(capabilities),
            suites=tuple(suites), username_env=table.get("username_env"), password_env=table.get("password_env"),
            version=table.get("version"), source=str(path),
        ))
    return entries


SECRET_WORDS = ("PASS", "PWD", "SECRET", "TOKEN", "KEY", "AUTH", "CREDENTIAL", "DSN", "COOKIE")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
URL_WITH_PASSWORD = re.compile(r"://[^/@\s]+:[^/@\s]*@")


def _names(table: dict, key: str, default, where: str) -> list[str]:
    """``table[key]`` as a list of strings (capabilities, suites), or ``default``.

    Raises:
        TargetsFileError: the value is not a list of strings (a bare string would read as single letters).
    """
    value = table.get(key, sorted(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TargetsFileError(f"{where}: '{key}' must be a list of strings, e.g. {key} = [{', '.join(repr(v) for v in sorted(default)[:2])}]")
    return value


def _version(table: dict, where: str) -> None:
    if "version" in table and not isinstance(table["version"], str):
        raise TargetsFileError(f"{where}: 'version' must be a string, e.g. version = \"3.5.0\"")


def _container_entry(table: dict, where: str, product, path: Path) -> RemoteEntry:
    """A ``provider = "container"`` entry (see the module docstring), checked.

    Raises:
        TargetsFileError: no image, a bad port, endpoints that are not paths, or a secret-looking variable
            given as a plain value in ``environment``.
    """
    _version(table, where)
    image, port, endpoints = table.get("image"), table.get("port"), table.get("endpoints")
    if not isinstance(image, str) or not image:
        raise TargetsFileError(f"{where}: a container entry needs 'image', e.g. image = \"docker.io/library/nginx:1\"")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise TargetsFileError(f"{where}: 'port' must be the image's HTTP port inside the container (1-65535)")
    if not isinstance(endpoints, dict) or not endpoints or not all(
            isinstance(v, str) and v.startswith("/") and not v.startswith("//") and "\\" not in v
            for v in endpoints.values()):
        raise TargetsFileError(f"{where}: a container entry's endpoints are paths on its port, "
                               f"e.g. endpoints = {{ webdav = \"/dav/\" }}")
    environment, environment_env = table.get("environment", {}), table.get("environment_env", {})
    for name, mapping in (("environment", environment), ("environment_env", environment_env)):
        if not isinstance(mapping, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
            raise TargetsFileError(f"{where}: '{name}' must map variable names to strings")
    for key, value in environment.items():
        if any(word in key.upper() for word in SECRET_WORDS) or URL_WITH_PASSWORD.search(value):
            raise TargetsFileError(f"{where}: {key} looks like a secret; the file must not hold secrets: give it "
                                   f"with environment_env = {{ {key} = \"NAME_OF_A_VARIABLE_HERE\" }}")
    return RemoteEntry(
        id=table["id"], product=product.name, endpoints={k: (v if v.endswith("/") else v + "/") for k, v in endpoints.items()},
        capabilities=frozenset(_names(table, "capabilities", product.capabilities, where)),
        suites=tuple(_names(table, "suites", product.suites, where)), username_env=table.get("username_env"),
        password_env=table.get("password_env"), version=table.get("version"), source=str(path),
        provider="container", image=image, port=port, environment=dict(environment),
        environment_env=dict(environment_env),
    )


class RemoteTarget:
    """An existing deployment: start() checks that it answers and reads its version; stop() does nothing.

    Raises (from start):
        TargetsFileError: a named environment variable is not set.
        harness.providers.local.TargetStartError: the endpoint does not answer, or the product's own check
            (:meth:`harness.catalog.base.Product.remote_check`) finds the deployment not set up for testing.
    """

    def __init__(self, entry: RemoteEntry, timeout_s: float = 15.0):
        self.entry = entry
        self.timeout_s = timeout_s
        self.target: Target | None = None

    def _credentials(self) -> Credentials | None:
        e = self.entry
        if not e.username_env and not e.password_env:
            return None
        missing = e.missing_env()
        if missing:
            raise TargetsFileError(f"target {e.id}: set the environment variable(s) {', '.join(missing)} "
                                   f"(named in {e.source})")
        return e.credentials()

    def start(self) -> Target:
        from harness.providers.local import TargetStartError

        e = self.entry
        credentials = self._credentials()
        first_url = next(iter(e.endpoints.values()))
        auth = (credentials.username, credentials.password) if credentials else None
        try:
            response = requests.request("OPTIONS", first_url, auth=auth, timeout=self.timeout_s,
                                        allow_redirects=False)
        except requests.RequestException as exc:
            raise TargetStartError(f"target {e.id}: {first_url} does not answer ({type(exc).__name__}); "
                                   f"check the URL and that this machine can reach it") from None
        self._check_credentials(credentials, auth)
        product = catalog.get(e.product)
        try:
            reported = product.remote_check(dict(e.endpoints), auth, self.timeout_s)
        except catalog.DeploymentNotReady as exc:
            raise TargetStartError(f"target {e.id}: {exc}") from None
        version = e.version or reported or product.remote_version(response.headers.get("Server"))
        self.target = Target(
            id=e.id, product=e.product, version=version, provider="remote", capabilities=e.capabilities,
            endpoints=dict(e.endpoints), credentials=credentials,
            secrets=[credentials.password] if credentials and credentials.password else [],
        )
        return self.target

    def _check_credentials(self, credentials, auth) -> None:
        """One read-only PROPFIND (Depth: 0, RFC 4918 §9.1) per DAV endpoint: a 401 means the account from the
        environment is refused, which would otherwise turn every check of the target into the same ERROR.

        Raises:
            harness.providers.local.TargetStartError: the server answered 401 (naming the variables to fix).
        """
        from harness.providers.local import TargetStartError

        e = self.entry
        for service, url in e.endpoints.items():
            if service not in ("webdav", "caldav", "carddav"):
                continue
            try:
                status = requests.request("PROPFIND", url, auth=auth, headers={"Depth": "0"}, timeout=self.timeout_s,
                                          allow_redirects=False).status_code
            except requests.RequestException:
                continue  # the checks will say what is wrong with this endpoint
            if status == 401:
                given = (f"the account from {', '.join(filter(None, (e.username_env, e.password_env)))}"
                         if credentials else "no account (the entry names no username_env/password_env)")
                raise TargetStartError(f"target {e.id}: {url} answered 401 Unauthorized to {given}; check the "
                                       f"user name and password (for Nextcloud, an app password)")

    def log_tail(self, limit: int = 4000) -> str:
        return ""

    def stop(self) -> None:
        """Nothing to stop: the deployment is not ours. (The suites remove their own run collection.)"""
