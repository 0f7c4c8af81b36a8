"""Bringing a profile of ``docker-compose.yml`` up and down through the compose tool found here.

Projects: each profile is its own compose project, ``overstap-PROFILE`` (``-p``; the Compose Specification
schema that ``config`` validates against, the 2021 copy Debian ships, has no top-level ``name:``). Without
it the tools name the project after the compose file's folder (``main``...), and ``down -v`` removes every
unused volume labelled with that project: another profile's data, or an unrelated project in a folder of
the same name. With it, ``down`` removes the profile's own containers, pod, networks and volumes only.

``overstap compose up PROFILE`` runs ``<tool> -f FILE -p overstap-PROFILE --profile PROFILE up -d`` and
then waits until every published port of the profile's services answers HTTP (any status below 500):
Podman runs healthchecks through systemd timers that a CI machine may lack, so readiness is judged by
probing, as for every target. A published range is probed port by port; a port whose host side the
engine chooses (``127.0.0.1::80``) or a UDP port is not probed, and ``up`` says so. When ``up`` fails (the
tool fails: a port already taken, an image missing; or a port does not answer within the timeout) it
brings the profile down again and says so (``keep=True``, ``--keep``: leave it for ``logs``).

Secrets: podman-compose creates containers with ``podman create -e NAME=VALUE``, a command line that
every user of the machine sees in ``ps``. With podman-compose, ``up`` therefore passes by name every
environment value that the file takes from the environment (``${VAR}``, a bare ``NAME``) or from an
``env_file``: it gives podman-compose the file as resolved by its own ``config`` on stdin, with those
entries moved into a names-only env_file per service (in a private folder, removed when ``up`` returns),
and the values in podman-compose's environment, which podman inherits; podman-compose then runs
``podman create -e NAME`` and podman reads the value from its environment. Values written literally in
the compose file stay on the command line (the file is public anyway). docker compose creates containers
through the Engine API, so nothing changes for it. Either way the engine keeps each container's
environment: ``podman inspect`` (``docker inspect``) shows it to whoever may use the engine.

``down`` removes the profile's containers *and* their volumes. ``config`` validates the file against the
Compose Specification's JSON Schema (the copy Debian's ``docker-compose`` package ships, or
``$OVERSTAP_COMPOSE_SCHEMA``), with the tool's own ``config``, and with Overstap's rules (every service
belongs to a profile and has a healthcheck, ports are published on 127.0.0.1, no ``network_mode: host``,
``depends_on`` names services of the file). The tool is, in order: ``$OVERSTAP_COMPOSE`` (a command line),
``podman-compose`` when Podman is here, else ``docker compose``.

Errors: :class:`ComposeError` for everything (exit status 2), :class:`InvalidComposeFile` for a file that
is no compose file at all (``config`` reports it as invalid, exit status 1).

The running services are then tested like any deployment, through a targets file
(``containers/reference-targets.toml`` for the ``reference`` profile).
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROFILES = ("reference", "opendesk", "lasuite")
#: Where the Compose Specification's JSON Schema is found (Debian package docker-compose).
SCHEMA_PATHS = ("/usr/lib/python3/dist-packages/compose/config/compose_spec.json",)
#: Each profile's compose project is this prefix plus the profile's name.
PROJECT_PREFIX = "overstap-"
#: Variables the compose tool and the engine read themselves: ``up`` refuses to change them in their
#: environment to pass a service's value by name.
TOOL_VARIABLES = ("PATH", "HOME", "TMPDIR")
TOOL_VARIABLE_PREFIXES = ("LD_", "PYTHON", "PODMAN_", "CONTAINERS_", "DOCKER_", "COMPOSE_", "XDG_", "STORAGE_",
                          "REGISTRIES_")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class ComposeError(RuntimeError):
    """The compose tool is missing or failed, a setting is unusable, the file is invalid, or a service did
    not come up (the message says which)."""


class InvalidComposeFile(ComposeError):
    """The file is no compose file at all: not UTF-8, not YAML, or without a mapping of services."""


class _NotReady(ComposeError):
    """Some published ports did not answer in time; ``services`` names their services."""

    def __init__(self, message: str, services: list[str]):
        super().__init__(message)
        self.services = services


def project_name(profile: str) -> str:
    """The compose project of ``profile``: ``overstap-PROFILE``."""
    return PROJECT_PREFIX + profile


def compose_tool() -> list[str]:
    """The compose command line to use (see the module docstring for the order).

    Raises:
        ComposeError: ``$OVERSTAP_COMPOSE`` is no command line or names no program found here, or no compose
            tool is installed; the message says how to get one.
    """
    setting = os.environ.get("OVERSTAP_COMPOSE", "")
    if setting.strip():
        try:
            argv = shlex.split(setting)
        except ValueError as exc:
            raise ComposeError(f"OVERSTAP_COMPOSE={setting!r} is no command line: {exc}") from exc
        if not shutil.which(argv[0]):
            raise ComposeError(f"OVERSTAP_COMPOSE={setting!r}: {argv[0]!r} is no program found here; name "
                               "podman-compose or `docker compose`, or unset it")
        return argv
    if shutil.which("podman"):
        found = shutil.which("podman-compose") or shutil.which("podman-compose", path=str(Path(sys.executable).parent))
        if found:
            return [found]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    raise ComposeError("no compose tool found: install podman-compose (pip install podman-compose) or the Docker "
                       "compose plugin, or name one in OVERSTAP_COMPOSE")


def is_podman_compose(tool: list[str]) -> bool:
    """Whether ``tool`` (a :func:`compose_tool` command line) is podman-compose, which creates containers
    through ``podman create`` command lines."""
    return any(Path(arg).name.startswith("podman-compose") or arg == "podman_compose" for arg in tool[:3])


def load(path: Path = COMPOSE_FILE) -> dict:
    """The compose file as a mapping (YAML anchors and merge keys resolved).

    Raises:
        ComposeError: the file cannot be read.
        InvalidComposeFile: it is not UTF-8, not YAML, or has no mapping of services.
    """
    import yaml

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ComposeError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidComposeFile(f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
                                 ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidComposeFile(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise InvalidComposeFile(f"{path} has no services (a mapping under `services:`)")
    return data


def _strings(value) -> list[str]:
    """The strings of a list field (``profiles``...); anything else gives none (the schema reports it)."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


# -- ports ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Published:
    """One entry of a service's ``ports``, as far as the host side goes.

    ``host_ip`` None: every interface. ``host_ports`` None: a port the engine chooses; else the host port,
    or each port of a range. ``protocol``: ``tcp`` unless the entry says otherwise.
    """

    host_ip: str | None
    host_ports: tuple[int, ...] | None
    protocol: str


def _port_numbers(spec) -> tuple[int, ...] | None:
    """``8080`` -> (8080,); ``"8082-8083"`` -> (8082, 8083). Raises ValueError on anything else."""
    if isinstance(spec, bool):
        raise ValueError(spec)
    if isinstance(spec, int):
        first = last = spec
    else:
        low, _, high = str(spec).strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise ValueError(spec)
        first, last = int(low), int(high or low)
    if not 0 < first <= last <= 65535:
        raise ValueError(spec)
    return tuple(range(first, last + 1))


def parse_port(entry) -> Published | None:
    """The host side of a ``ports`` entry: short syntax (``80``, ``"8080:80"``, ``"127.0.0.1:8080:80"``,
    ``"127.0.0.1::80"``, ``"127.0.0.1:8082-8083:80-81"``, ``"[::1]:8080:80/udp"``) or long syntax (a mapping
    with ``published`` and ``host_ip``). None when the entry is none of these."""
    try:
        if isinstance(entry, int) and not isinstance(entry, bool):
            return Published(None, None, "tcp")  # a container port only: the engine picks a host port
        if isinstance(entry, dict):
            host_ip = entry.get("host_ip")
            published = entry.get("published")
            protocol = entry.get("protocol") or "tcp"
            if (host_ip is not None and not isinstance(host_ip, str)) or not isinstance(protocol, str):
                return None
            ports = None if published in (None, "") else _port_numbers(published)
            return Published(host_ip or None, ports, protocol.lower())
        if not isinstance(entry, str) or not entry.strip():
            return None
        text, _, protocol = entry.strip().partition("/")
        if text.startswith("["):
            host_ip, closed, rest = text[1:].partition("]")
            if not closed or not rest.startswith(":") or rest.count(":") != 2:
                return None
            host_port, container = rest[1:].split(":")
        else:
            parts = text.split(":")
            if len(parts) == 1:
                host_ip, host_port, container = None, "", parts[0]
            elif len(parts) == 2:
                host_ip, (host_port, container) = None, parts
            else:
                host_ip, host_port, container = ":".join(parts[:-2]), parts[-2], parts[-1]
        _port_numbers(container)
        return Published(host_ip or None, _port_numbers(host_port) if host_port else None, (protocol or "tcp").lower())
    except ValueError:
        return None


def _ports(service: dict) -> list:
    ports = service.get("ports")
    return ports if isinstance(ports, list) else []


def published_urls(service: dict) -> list[str]:
    """``http://HOST:PORT/`` for each TCP port the service publishes on a known host port, one per port of
    a range (a port published on every interface is probed on 127.0.0.1)."""
    urls = []
    for entry in _ports(service):
        port = parse_port(entry)
        if port is None or port.host_ports is None or port.protocol != "tcp":
            continue
        host = port.host_ip or "127.0.0.1"
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
        host = f"[{host}]" if ":" in host else host
        urls.extend(f"http://{host}:{number}/" for number in port.host_ports)
    return urls


def unprobed_ports(service: dict) -> list[str]:
    """The ``ports`` entries that :func:`published_urls` gives no URL for, each with the reason."""
    notes = []
    for entry in _ports(service):
        port = parse_port(entry)
        if port is None:
            notes.append(f"port {entry!r} is not understood, not probed")
        elif port.protocol != "tcp":
            notes.append(f"port {entry} is {port.protocol}, not probed")
        elif port.host_ports is None:
            notes.append(f"port {entry} is published on a host port the engine chooses, not probed")
    return notes


# -- validation -------------------------------------------------------------------------------------
def rule_violations(data: dict) -> list[str]:
    """Overstap's own rules for the compose file: each service is a mapping in at least one known profile
    and has a healthcheck with a test; published ports bind 127.0.0.1 only (never every interface of the
    machine), and no service uses the machine's network (``network_mode: host``); ``depends_on`` names
    services of the file. Any shape of ``data["services"]`` is judged without raising."""
    problems = []
    for name, service in data["services"].items():
        if not isinstance(service, dict):
            problems.append(f"service {name}: not a mapping, so none of Overstap's rules could be checked")
            continue
        if not set(_strings(service.get("profiles"))) & set(PROFILES):
            problems.append(f"service {name}: not in any of the profiles {', '.join(PROFILES)}")
        healthcheck = service.get("healthcheck")
        if not (isinstance(healthcheck, dict) and healthcheck.get("test")):
            problems.append(f"service {name}: no healthcheck")
        if service.get("network_mode") == "host":
            problems.append(f"service {name}: network_mode: host shares the machine's network, so whatever it "
                            "listens on is open on every interface; publish ports on 127.0.0.1 instead")
        ports = service.get("ports") or []
        for entry in ports if isinstance(ports, list) else [ports]:
            port = parse_port(entry)
            if port is None:
                problems.append(f"service {name}: port {entry!r} is no port mapping")
            elif port.host_ip != "127.0.0.1":
                problems.append(f"service {name}: port {entry} must be published on 127.0.0.1")
        depends = service.get("depends_on") or []
        for other in list(depends) if isinstance(depends, (list, dict)) else [depends]:
            if not isinstance(other, str):
                problems.append(f"service {name}: depends_on entry {other!r} is no service name")
            elif other not in data["services"]:
                problems.append(f"service {name}: depends_on names {other!r}, which is no service of the file")
    return problems


def schema_path() -> Path | None:
    """The Compose Specification JSON Schema to validate against, or None when none is installed here.

    Raises:
        ComposeError: ``$OVERSTAP_COMPOSE_SCHEMA`` names no file.
    """
    setting = os.environ.get("OVERSTAP_COMPOSE_SCHEMA")
    if setting:
        if not Path(setting).is_file():
            raise ComposeError(f"OVERSTAP_COMPOSE_SCHEMA={setting} is no file")
        return Path(setting)
    for candidate in SCHEMA_PATHS:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def schema_violations(data: dict) -> list[str]:
    """Where ``data`` breaks the Compose Specification's JSON Schema (compose-spec, "services" and below).

    Raises:
        ComposeError: no schema is installed here (the message says how to get one), or the schema file is
            unreadable, not JSON or no usable JSON Schema.
    """
    import json

    import jsonschema

    path = schema_path()
    if path is None:
        raise ComposeError("the Compose Specification schema is not installed; install Debian's docker-compose "
                           "package or point OVERSTAP_COMPOSE_SCHEMA at compose-spec.json")
    origin = f"OVERSTAP_COMPOSE_SCHEMA={path}" if os.environ.get("OVERSTAP_COMPOSE_SCHEMA") else f"the schema {path}"
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        validator = jsonschema.Draft7Validator(schema)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except OSError as exc:
        raise ComposeError(f"{origin}: cannot read it: {exc.strerror}") from exc
    except ValueError as exc:  # not UTF-8, not JSON
        raise ComposeError(f"{origin} is not JSON: {exc}") from exc
    except jsonschema.SchemaError as exc:
        raise ComposeError(f"{origin} is no valid JSON Schema: {exc.message}") from exc
    except Exception as exc:  # noqa: BLE001 -- a broken schema fails validation in many ways (unresolvable $ref...)
        raise ComposeError(f"{origin} cannot be used: {type(exc).__name__}: {exc}") from exc
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}" for error in errors]


def services(data: dict, profile: str) -> dict[str, dict]:
    """The services of ``profile``, by name (entries that are no mapping are left out)."""
    return {n: s for n, s in data["services"].items()
            if isinstance(s, dict) and profile in _strings(s.get("profiles"))}


def _command(tool: list[str], profile: str, path: Path, args: list[str], file: str | None = None) -> list[str]:
    return [*tool, "-f", file or str(path), "-p", project_name(profile), "--profile", profile, *args]


def _tool_run(args: list[str], profile: str, path: Path, capture: bool = False, *, tool: list[str] | None = None,
              file: str | None = None, stdin_text: str | None = None, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess:
    """Run the compose tool on ``profile`` of ``path`` (its project, from the file's folder).

    Raises:
        ComposeError: the tool cannot be found or started.
    """
    argv = _command(tool or compose_tool(), profile, path, args, file)
    try:
        return subprocess.run(argv, capture_output=capture, text=True, check=False, cwd=path.parent,
                              input=stdin_text, stdin=None if stdin_text is not None else subprocess.DEVNULL,
                              env=env)
    except OSError as exc:
        raise ComposeError(f"cannot run {shlex.join(argv[:2])}: {exc.strerror or exc}") from exc


def _tool_output(proc: subprocess.CompletedProcess, limit: int = 3000) -> str:
    """What the tool said, its end only; of a Python traceback, the last line (the error)."""
    text = ((proc.stdout or "") + (proc.stderr or "")).strip()
    if "Traceback (most recent call last)" in text:
        text = [line for line in text.splitlines() if line.strip()][-1]
    return text[-limit:]


def _tool_errors(proc: subprocess.CompletedProcess) -> str:
    """The error lines of a failed tool run (``Error...``, as podman and docker print them), else its end:
    podman's own noise (healthcheck timers without systemd...) buries the one line that matters."""
    text = ((proc.stdout or "") + "\n" + (proc.stderr or "")).strip()
    errors = [line.strip() for line in text.splitlines() if line.strip().lower().startswith("error")]
    return "\n".join(errors[-10:])[-3000:] if errors else _tool_output(proc)


def validate(profile: str, path: Path = COMPOSE_FILE) -> list[str]:
    """Problems with ``profile`` of the compose file: the schema's, :func:`rule_violations`, and the tool's
    own ``config`` check.

    Raises:
        InvalidComposeFile: the file is no compose file at all (not UTF-8, not YAML, no services).
        ComposeError: the file cannot be read, no compose tool or schema, or an unusable setting.
    """
    path = Path(path).resolve()
    data = load(path)
    if profile not in PROFILES:
        raise ComposeError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    problems = schema_violations(data) + rule_violations(data)
    if not services(data, profile):
        problems.append(f"profile {profile}: no service")
    tool = compose_tool()
    proc = _tool_run(["config"], profile, path, capture=True, tool=tool)
    if proc.returncode != 0:
        problems.append(f"`{shlex.join(tool)} config` failed: {_tool_output(proc, 2000)}")
    return problems


# -- up: values by name ---------------------------------------------------------------------------
def _environment(value) -> dict[str, str | None]:
    """A service's ``environment`` (mapping or list) as NAME -> value (None: a bare name)."""
    if isinstance(value, dict):
        return {str(k): None if v is None else str(v) for k, v in value.items()}
    entries = {}
    for item in value if isinstance(value, list) else []:
        name, equals, rest = str(item).partition("=")
        entries[name] = rest if equals else None
    return entries


def _env_file_values(value, folder: Path, service: str) -> dict[str, str | None]:
    """NAME -> value of a service's ``env_file`` entries, read as podman-compose reads them (python-dotenv)."""
    try:
        from dotenv import dotenv_values
    except ImportError as exc:  # podman-compose depends on python-dotenv
        raise ComposeError(f"service {service} has an env_file, and python-dotenv is not installed") from exc
    values: dict[str, str | None] = {}
    for item in [value] if isinstance(value, (str, dict)) else value if isinstance(value, list) else []:
        spec = item if isinstance(item, dict) else {"path": item}
        file = Path(str(spec.get("path", "")))
        file = file if file.is_absolute() else folder / file
        if not file.is_file():
            if spec.get("required", True) in (False, "false"):
                continue
            raise ComposeError(f"service {service}: env_file {file} does not exist")
        values.update(dotenv_values(file))
    return values


def _escape_dollars(value):
    """``value`` with every ``$`` doubled, so that a second interpolation by the tool leaves it as it is."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {_escape_dollars(k): _escape_dollars(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape_dollars(v) for v in value]
    return value


def _by_name(tool: list[str], profile: str, path: Path, data: dict, folder: Path
             ) -> tuple[str, dict[str, str], list[str]]:
    """What podman-compose needs to pass values by name: (the compose file to read on stdin, the environment
    to run it in, the names moved); the names-only env files are written into ``folder``.

    Raises:
        ComposeError: the tool's ``config`` fails, or two services want one name with different values, or a
            value would change a variable the tools read themselves (PATH...).
    """
    import yaml

    proc = _tool_run(["config"], profile, path, capture=True, tool=tool)
    if proc.returncode != 0:
        raise ComposeError(f"`{shlex.join(tool)} config` failed (exit {proc.returncode}): {_tool_output(proc)}")
    try:
        resolved = yaml.safe_load(proc.stdout)
    except yaml.YAMLError as exc:
        raise ComposeError(f"`{shlex.join(tool)} config` printed no YAML: {exc}") from exc
    if not isinstance(resolved, dict) or not isinstance(resolved.get("services"), dict):
        raise ComposeError(f"`{shlex.join(tool)} config` printed no services")
    values: dict[str, str] = {}
    owner: dict[str, str] = {}
    for index, (name, service) in enumerate(sorted(resolved["services"].items())):
        raw = data["services"].get(name)
        if not isinstance(service, dict) or not isinstance(raw, dict):
            continue
        written = _environment(raw.get("environment"))
        by_name = dict(_env_file_values(service.get("env_file"), path.parent, name))
        kept = {}
        for key, value in _environment(service.get("environment")).items():
            template = written.get(key, value)
            if template is None or "$" in template:  # taken from the environment
                by_name[key] = value
            else:
                kept[key] = value
        lines = []
        for key, value in by_name.items():
            if value is None:
                value = os.environ.get(key)
            if not _ENV_NAME.match(key):
                raise ComposeError(f"service {name}: {key!r} cannot be passed to podman by name")
            if value is not None:
                if key in values and values[key] != value:
                    raise ComposeError(f"services {owner[key]} and {name} set {key} to different values; "
                                       "podman-compose can pass one value per name only (rename one of them)")
                if ((key in TOOL_VARIABLES or key.startswith(TOOL_VARIABLE_PREFIXES))
                        and os.environ.get(key) != value):
                    raise ComposeError(f"service {name} sets {key}, which the compose tool reads itself; "
                                       "write its value literally in the compose file")
                values[key], owner[key] = value, name
            lines.append(key)
        if kept:
            service["environment"] = kept
        else:
            service.pop("environment", None)
        service.pop("env_file", None)
        if lines:
            names = folder / f"{index}.env"
            fd = os.open(names, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("".join(f"{line}\n" for line in lines))
            service["env_file"] = [str(names)]
    document = yaml.safe_dump(_escape_dollars(resolved), sort_keys=False)
    return document, {**os.environ, **values}, sorted(values)


# -- up and down ------------------------------------------------------------------------------------
def _wait(urls: dict[str, list[str]], timeout_s: float) -> None:
    """Probe until every URL answers below 500.

    Raises:
        _NotReady: some did not within ``timeout_s`` seconds (the message names them).
    """
    deadline = time.monotonic() + timeout_s
    pending = {url for service_urls in urls.values() for url in service_urls}
    while pending:
        for url in sorted(pending):
            try:
                if requests.get(url, timeout=2, allow_redirects=False).status_code < 500:
                    pending.discard(url)
            except requests.RequestException:
                pass
        if pending and time.monotonic() > deadline:
            late = sorted(name for name, service_urls in urls.items() if set(service_urls) & pending)
            raise _NotReady(f"no answer within {timeout_s:.0f} s from {', '.join(sorted(pending))} "
                           f"(service {', '.join(late)})", late)
        if pending:
            time.sleep(0.5)


def up(profile: str, path: Path = COMPOSE_FILE, timeout_s: float = 300.0, progress=print,
       keep: bool = False) -> dict[str, list[str]]:
    """Start ``profile`` and wait until every published port answers HTTP below 500. When that fails, bring
    the profile down again (unless ``keep``).

    Returns:
        service name -> its published base URLs.

    Raises:
        ComposeError: the tool failed or a service did not answer within ``timeout_s`` seconds; the message
            says what was done about it (brought down, or kept with the command to see the logs).
        InvalidComposeFile: the file is no compose file at all.
    """
    path = Path(path).resolve()
    data = load(path)
    wanted = services(data, profile)
    if not wanted:
        raise ComposeError(f"profile {profile!r} has no services in {path}")
    tool = compose_tool()
    urls = {name: published_urls(service) for name, service in wanted.items()}
    for name, service in wanted.items():
        for note in unprobed_ports(service):
            progress(f"compose: {name}: {note}")
    progress(f"compose: {shlex.join(_command(tool, profile, path, ['up', '-d']))} ({', '.join(wanted)})")
    folder = Path(tempfile.mkdtemp(prefix="overstap-compose-")) if is_podman_compose(tool) else None
    try:
        stdin_text = env = None
        if folder is not None:  # before anything starts: what fails here leaves nothing to bring down
            stdin_text, env, names = _by_name(tool, profile, path, data, folder)
            if names:
                progress(f"compose: passing {', '.join(names)} to podman by name, not on its command line")
        try:
            proc = _tool_run(["up", "-d"], profile, path, capture=True, tool=tool,
                             file="-" if folder is not None else None, stdin_text=stdin_text, env=env)
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if proc.returncode != 0:
                raise ComposeError(f"`compose up` failed (exit {proc.returncode}):\n{_tool_errors(proc)}")
            _wait(urls, timeout_s)
        except (ComposeError, KeyboardInterrupt) as exc:
            reason = str(exc) if isinstance(exc, ComposeError) else "interrupted"
            if isinstance(exc, _NotReady) and not keep:
                reason += _last_logs(tool, profile, path, exc.services)
            raise ComposeError(f"{reason}\n{_after_failure(tool, profile, path, keep)}") from exc
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    for name, service_urls in urls.items():
        progress(f"compose: {name} answers at {', '.join(service_urls) or '(no published port)'}")
    return urls


def _last_logs(tool: list[str], profile: str, path: Path, names: list[str], lines: int = 20) -> str:
    """The last ``lines`` log lines of the services ``names``, to show before they are removed ("" if none)."""
    try:
        proc = _tool_run(["logs", "--no-color", "--tail", str(lines), *names], profile, path, capture=True, tool=tool)
    except ComposeError:
        return ""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", _tool_output(proc))
    return f"\nthe last log lines of {', '.join(names)}:\n{text}" if text else ""


def _after_failure(tool: list[str], profile: str, path: Path, keep: bool) -> str:
    """Bring a profile whose ``up`` failed down (unless ``keep``); what was done, and how to see the logs."""
    logs = shlex.join(_command(tool, profile, path, ["logs"]))
    file = "" if path == COMPOSE_FILE else f" --file {shlex.quote(str(path))}"
    if keep:
        return (f"the profile is left as it is (--keep): see `{logs}`, then remove it with "
                f"`overstap compose down {profile}{file}`")
    try:
        down(profile, path, tool=tool)
    except ComposeError as exc:
        return (f"bringing the profile down failed too: {exc}\nsee `{logs}`, and remove it with "
                f"`overstap compose down {profile}{file}`")
    return (f"brought the profile down again (containers, pod, networks and volumes of project "
            f"{project_name(profile)} removed); to look into it: `overstap compose up {profile}{file} --keep`, "
            f"then `{logs}`")


def down(profile: str, path: Path = COMPOSE_FILE, tool: list[str] | None = None) -> None:
    """Stop and remove ``profile``'s containers and their volumes: everything of project ``overstap-PROFILE``.

    Raises:
        ComposeError: the tool is missing or failed.
    """
    path = Path(path).resolve()
    proc = _tool_run(["down", "-v", "--remove-orphans"], profile, path, capture=True, tool=tool)
    if proc.returncode != 0:
        raise ComposeError(f"`compose down` failed (exit {proc.returncode}):\n{_tool_errors(proc)}")


def _cmd(args: argparse.Namespace) -> int:
    path = Path(args.file).resolve()
    try:
        if args.action == "config":
            try:
                problems = validate(args.profile, path)
            except InvalidComposeFile as exc:
                problems = [str(exc)]
            for problem in problems:
                print(f"  {problem}")
            print(f"{path} profile {args.profile}: {'invalid' if problems else 'valid'}")
            return 1 if problems else 0
        if args.action == "up":
            up(args.profile, path, timeout_s=args.timeout, keep=args.keep)
        else:
            down(args.profile, path)
            print(f"compose: profile {args.profile} is down (project {project_name(args.profile)}: containers and "
                  "volumes removed)")
        return 0
    except ComposeError as exc:
        print(f"overstap compose: {exc}", file=sys.stderr)
        return 2


def add_commands(sub) -> None:
    """Add ``overstap compose up|down|config PROFILE`` to the CLI's subcommands."""
    compose = sub.add_parser(
        "compose", help="bring a profile of docker-compose.yml up or down, or validate it",
        description="Bring a docker-compose.yml profile up (waiting until every published port answers; brought "
                    "down again when that fails), down (containers and volumes removed) or validate it, with "
                    "podman-compose or docker compose. Each profile is the compose project overstap-PROFILE.",
        epilog="Profiles: reference (Overstap's images; build them first with `overstap images build`), opendesk "
               "(Nextcloud, Collabora CODE: needs a registry), lasuite (La Suite Docs: needs a registry). "
               "Exit status: 0 done, 1 invalid file (config), 2 error.")
    compose.add_argument("action", choices=("up", "down", "config"))
    compose.add_argument("profile", choices=PROFILES)
    compose.add_argument("--file", default=str(COMPOSE_FILE), metavar="F",
                         help="compose file (default: the repository's)")
    compose.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                         help="how long `up` waits for the services to answer (default: %(default)s)")
    compose.add_argument("--keep", action="store_true",
                         help="when `up` fails, leave the profile's containers as they are (for `logs`) instead of "
                              "bringing it down")
    compose.set_defaults(func=_cmd)
