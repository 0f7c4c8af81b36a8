"""Bringing a profile of ``docker-compose.yml`` up and down through the compose tool found here.

``overstap compose up PROFILE`` runs ``<tool> -f docker-compose.yml --profile PROFILE up -d`` and then
waits until every published port of the profile's services answers HTTP (any status below 500): Podman
runs healthchecks through systemd timers that a CI machine may lack, so readiness is judged by probing,
as for every target. ``down`` removes the profile's containers *and* their volumes. ``config`` validates
the file against the Compose Specification's JSON Schema (the copy Debian's ``docker-compose`` package
ships, or ``$OVERSTAP_COMPOSE_SCHEMA``), with the tool's own ``config``, and with Overstap's rules
(every service belongs to a profile and has a healthcheck, ports bind 127.0.0.1, ``depends_on`` names
services of the file). The tool is, in order: ``$OVERSTAP_COMPOSE`` (a command line), ``podman-compose`` when
Podman is here, else ``docker compose``.

The running services are then tested like any deployment, through a targets file
(``containers/reference-targets.toml`` for the ``reference`` profile).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROFILES = ("reference", "opendesk", "lasuite")
#: Where the Compose Specification's JSON Schema is found (Debian package docker-compose).
SCHEMA_PATHS = ("/usr/lib/python3/dist-packages/compose/config/compose_spec.json",)


class ComposeError(RuntimeError):
    """The compose tool is missing, the file is invalid, or a service did not come up (the message says which)."""


def compose_tool() -> list[str]:
    """The compose command line to use (see the module docstring for the order).

    Raises:
        ComposeError: no compose tool is installed; the message says how to get one.
    """
    if os.environ.get("OVERSTAP_COMPOSE"):
        return shlex.split(os.environ["OVERSTAP_COMPOSE"])
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


def load(path: Path = COMPOSE_FILE) -> dict:
    """The compose file as a mapping.

    Raises:
        ComposeError: the file is missing or not YAML mapping services.
    """
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ComposeError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ComposeError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise ComposeError(f"{path} has no services")
    return data


def rule_violations(data: dict) -> list[str]:
    """Overstap's own rules for the compose file: each service is in at least one known profile and has a
    healthcheck with a test; published ports bind 127.0.0.1 only (never every interface of the machine)."""
    problems = []
    for name, service in data["services"].items():
        profiles = service.get("profiles") or []
        if not profiles or not set(profiles) & set(PROFILES):
            problems.append(f"service {name}: not in any of the profiles {', '.join(PROFILES)}")
        if not (service.get("healthcheck") or {}).get("test"):
            problems.append(f"service {name}: no healthcheck")
        ports = service.get("ports") or []
        for port in ports if isinstance(ports, list) else [ports]:
            if not str(port).startswith("127.0.0.1:"):
                problems.append(f"service {name}: port {port} must be published on 127.0.0.1")
        depends = service.get("depends_on") or []
        for other in depends if isinstance(depends, (list, dict)) else [depends]:
            if other not in data["services"]:
                problems.append(f"service {name}: depends_on names {other!r}, which is no service of the file")
    return problems


def schema_path() -> Path | None:
    """The Compose Specification JSON Schema to validate against, or None when none is installed here."""
    candidates = [os.environ["OVERSTAP_COMPOSE_SCHEMA"]] if os.environ.get("OVERSTAP_COMPOSE_SCHEMA") else SCHEMA_PATHS
    for candidate in candidates:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


def schema_violations(data: dict) -> list[str]:
    """Where ``data`` breaks the Compose Specification's JSON Schema (compose-spec, "services" and below).

    Raises:
        ComposeError: no schema is installed here (the message says how to get one).
    """
    import json

    import jsonschema

    path = schema_path()
    if path is None:
        raise ComposeError("the Compose Specification schema is not installed; install Debian's docker-compose "
                           "package or point OVERSTAP_COMPOSE_SCHEMA at compose-spec.json")
    schema = json.loads(path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
            for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))]


def services(data: dict, profile: str) -> dict[str, dict]:
    """The services of ``profile``, by name."""
    return {n: s for n, s in data["services"].items() if profile in (s.get("profiles") or [])}


def published_urls(service: dict) -> list[str]:
    """``http://127.0.0.1:PORT/`` for each port the service publishes (``127.0.0.1:HOST:CONTAINER`` form)."""
    urls = []
    for port in service.get("ports") or []:
        parts = str(port).split(":")
        if len(parts) == 3:
            urls.append(f"http://{parts[0]}:{parts[1]}/")
    return urls


def _tool_run(args: list[str], profile: str, path: Path, capture: bool = False) -> subprocess.CompletedProcess:
    argv = [*compose_tool(), "-f", str(path), "--profile", profile, *args]
    return subprocess.run(argv, capture_output=capture, text=True, check=False, cwd=path.parent)


def validate(profile: str, path: Path = COMPOSE_FILE) -> list[str]:
    """Problems with ``profile`` of the compose file: the tool's own ``config`` check plus :func:`rule_violations`.

    Raises:
        ComposeError: no compose tool, or the file cannot be read.
    """
    data = load(path)
    if profile not in PROFILES:
        raise ComposeError(f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")
    problems = schema_violations(data) + rule_violations(data)
    if not services(data, profile):
        problems.append(f"profile {profile}: no service")
    proc = _tool_run(["config"], profile, path, capture=True)
    if proc.returncode != 0:
        problems.append(f"{' '.join(compose_tool())} config failed: {(proc.stderr or proc.stdout).strip()[-2000:]}")
    return problems


def up(profile: str, path: Path = COMPOSE_FILE, timeout_s: float = 300.0, progress=print) -> dict[str, list[str]]:
    """Start ``profile`` and wait until every published port answers HTTP below 500.

    Returns:
        service name -> its published base URLs.

    Raises:
        ComposeError: the tool failed or a service did not answer within ``timeout_s`` seconds.
    """
    data = load(path)
    wanted = services(data, profile)
    if not wanted:
        raise ComposeError(f"profile {profile!r} has no services in {path}")
    progress(f"compose: {' '.join(compose_tool())} --profile {profile} up -d ({', '.join(wanted)})")
    proc = _tool_run(["up", "-d"], profile, path, capture=True)
    if proc.returncode != 0:
        raise ComposeError(f"`compose up` failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    urls = {name: published_urls(service) for name, service in wanted.items()}
    deadline = time.monotonic() + timeout_s
    pending = {u for us in urls.values() for u in us}
    while pending:
        for url in sorted(pending):
            try:
                if requests.get(url, timeout=2, allow_redirects=False).status_code < 500:
                    pending.discard(url)
            except requests.RequestException:
                pass
        if pending and time.monotonic() > deadline:
            raise ComposeError(f"no answer within {timeout_s:.0f} s from {', '.join(sorted(pending))}; "
                               f"see `{' '.join(compose_tool())} --profile {profile} logs`")
        if pending:
            time.sleep(0.5)
    for name, service_urls in urls.items():
        progress(f"compose: {name} answers at {', '.join(service_urls) or '(no published port)'}")
    return urls


def down(profile: str, path: Path = COMPOSE_FILE) -> None:
    """Stop and remove ``profile``'s containers and their volumes.

    Raises:
        ComposeError: the tool failed.
    """
    proc = _tool_run(["down", "-v"], profile, path, capture=True)
    if proc.returncode != 0:
        raise ComposeError(f"`compose down` failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")


def _cmd(args: argparse.Namespace) -> int:
    path = Path(args.file)
    try:
        if args.action == "config":
            problems = validate(args.profile, path)
            for problem in problems:
                print(f"  {problem}")
            print(f"{path} profile {args.profile}: {'invalid' if problems else 'valid'}")
            return 1 if problems else 0
        if args.action == "up":
            up(args.profile, path, timeout_s=args.timeout)
        else:
            down(args.profile, path)
            print(f"compose: profile {args.profile} is down (containers and volumes removed)")
        return 0
    except ComposeError as exc:
        print(f"overstap compose: {exc}", file=sys.stderr)
        return 2


def add_commands(sub) -> None:
    """Add ``overstap compose up|down|config PROFILE`` to the CLI's subcommands."""
    compose = sub.add_parser(
        "compose", help="bring a profile of docker-compose.yml up or down, or validate it",
        description="Bring a docker-compose.yml profile up (waiting until every published port answers), down "
                    "(containers and volumes removed) or validate it, with podman-compose or docker compose.",
        epilog="Profiles: reference (Overstap's images; build them first with `overstap images build`), opendesk "
               "(Nextcloud, Collabora CODE: needs a registry), lasuite (La Suite Docs: needs a registry). "
               "Exit status: 0 done, 1 invalid file (config), 2 error.")
    compose.add_argument("action", choices=("up", "down", "config"))
    compose.add_argument("profile", choices=PROFILES)
    compose.add_argument("--file", default=str(COMPOSE_FILE), metavar="F", help="compose file (default: the repository's)")
    compose.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                         help="how long `up` waits for the services to answer (default: %(default)s)")
    compose.set_defaults(func=_cmd)
