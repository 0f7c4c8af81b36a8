"""docker-compose.yml and `overstap compose`: validation, and the reference profile brought up, tested and down.

Real compose tool (podman-compose against the Podman API service, or docker compose), real reference images.
The tests of what a hostile review found (project names, the password on command lines, a failed `up`,
tracebacks, rule gaps) look at Podman's state through the `podman` command and need podman-compose.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import textwrap
import time
import uuid

import pytest
import requests

from conftest import REPO, load_json, overstap, overstap_bin, require_now


def _engine():
    from harness.providers.containers import engine

    return engine()


def _volumes(client) -> set[str]:
    return {v.name for v in client.volumes.list()}


def _require_compose() -> None:
    from harness.compose import ComposeError, compose_tool, schema_path

    if schema_path() is None:
        require_now("docker-compose")  # Debian's package ships the Compose Specification schema
    try:
        compose_tool()
    except ComposeError:
        require_now("podman-compose")


@pytest.mark.parametrize("profile", ["reference", "opendesk", "lasuite"])
def test_compose_file_validates(profile):
    _require_compose()
    proc = overstap("compose", "config", profile)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "valid" in proc.stdout


def test_compose_validation_catches_real_mistakes(tmp_path):
    _require_compose()
    bad = tmp_path / "compose.yml"
    bad.write_text(textwrap.dedent("""
        services:
          a:
            image: x
            profiles: [reference]
            ports: ["8080:80"]
            depends_on: [nothere]
            restrat: always
          b:
            image: y
            profiles: [reference]
    """))
    proc = overstap("compose", "config", "reference", "--file", str(bad))
    assert proc.returncode == 1
    out = proc.stdout
    assert "'restrat' does not match" in out          # the Compose Specification schema
    assert "must be published on 127.0.0.1" in out      # our rules
    assert "depends_on names 'nothere'" in out
    assert "service b: no healthcheck" in out


def test_compose_reference_profile_up_test_down(tmp_path):
    """`overstap compose up reference`, a run through containers/reference-targets.toml, then down: the
    services answer with the account from the environment, and nothing of the project stays."""
    _require_compose()
    for product in ("radicale", "xandikos", "wsgidav", "apache", "nginx", "davical"):
        require_now(f"image:{product}")
    env = {"OVERSTAP_USERNAME": "overstap", "OVERSTAP_PASSWORD": "compose-test-secret"}
    client = _engine()
    before = {c.id for c in client.containers.list(all=True)}
    before_volumes = _volumes(client)
    try:
        up = overstap("compose", "up", "reference", env=env, timeout=600)
        assert up.returncode == 0, up.stdout + up.stderr
        assert "apache answers at http://127.0.0.1:18234/" in up.stdout
        run = overstap("run", "--targets-file", str(REPO / "containers" / "reference-targets.toml"),
                       "--target", "apache-compose", "--target", "radicale-compose", "--target", "davical-compose",
                       "-k", "basic or principal", "--out", str(tmp_path / "run"), env=env, timeout=600)
        report = load_json(tmp_path / "run" / "report.json")
        by_target = {}
        for result in report["results"]:
            by_target.setdefault(result["target"], []).append(result["status"])
        assert set(by_target) == {"apache-compose", "radicale-compose", "davical-compose"}, run.stdout[-2000:]
        for target, statuses in by_target.items():
            assert "ERROR" not in statuses, (target, run.stdout[-3000:])
            assert statuses.count("PASS") >= 2, (target, statuses)
        versions = {t["id"]: t["version"] for t in report["targets"]}
        assert versions["apache-compose"] != "unknown"
        assert "compose-test-secret" not in (tmp_path / "run" / "report.json").read_text()
    finally:
        down = overstap("compose", "down", "reference", env=env, timeout=300)
        assert down.returncode == 0, down.stdout + down.stderr
    after = {c.id for c in client.containers.list(all=True)}
    after_volumes = _volumes(client)
    client.close()
    assert after <= before, f"compose left containers: {after - before}"
    assert after_volumes <= before_volumes, f"compose left volumes: {after_volumes - before_volumes}"


# -- what the hostile review found -----------------------------------------------------------------
SECRET = "compose-secret-0d1f7a"
ENV = {"OVERSTAP_USERNAME": "overstap", "OVERSTAP_PASSWORD": SECRET}


def _podman(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=False, timeout=120)


def _compose_objects() -> set[str]:
    """Every container, pod, network and volume here that a compose tool made (by label or pod name)."""
    found = set()
    labelled = ["--filter", "label=io.podman.compose.project", "--format"]
    for kind, args in (("container", ["ps", "-a", *labelled, "{{.Names}}"]),
                       ("pod", ["pod", "ls", "--format", "{{.Name}}"]),
                       ("network", ["network", "ls", *labelled, "{{.Name}}"]),
                       ("volume", ["volume", "ls", *labelled, "{{.Name}}"])):
        proc = _podman(*args)
        assert proc.returncode == 0, proc.stderr
        found |= {f"{kind}:{name}" for name in proc.stdout.split() if kind != "pod" or name.startswith("pod_")}
    return found


def _require_podman_compose() -> None:
    from harness.compose import compose_tool, is_podman_compose

    _require_compose()
    require_now("podman")
    if not is_podman_compose(compose_tool()):
        pytest.skip("OVERSTAP_COMPOSE names another tool than podman-compose")


def test_compose_down_removes_only_its_own_project_volumes():
    """`down -v` removes the volumes of the profile's own project, never those of the compose file's folder
    (podman-compose's default project) or of another profile."""
    _require_podman_compose()
    folder_project = re.sub(r"[^-_a-z0-9]", "", REPO.name.lower())  # podman-compose's default project name
    tag = uuid.uuid4().hex[:8]
    volumes = {f"ovtest-{tag}-folder": folder_project, f"ovtest-{tag}-opendesk": "overstap-opendesk",
               f"ovtest-{tag}-own": "overstap-reference"}
    try:
        for name, project in volumes.items():
            assert _podman("volume", "create", "--label", f"io.podman.compose.project={project}", name).returncode == 0
        down = overstap("compose", "down", "reference", timeout=300)
        assert down.returncode == 0, down.stdout + down.stderr
        left = set(_podman("volume", "ls", "--format", "{{.Name}}").stdout.split())
        assert f"ovtest-{tag}-folder" in left, "down removed a volume of the folder's project"
        assert f"ovtest-{tag}-opendesk" in left, "down removed a volume of another profile"
        assert f"ovtest-{tag}-own" not in left, "down kept a volume of its own project"
    finally:
        for name in volumes:
            _podman("volume", "rm", "-f", name)


def _sample_command_lines(proc: subprocess.Popen, interval_s: float = 0.005) -> set[str]:
    """Every process command line seen (as `ps -eo args` shows them) until ``proc`` ends."""
    seen = set()
    while proc.poll() is None:
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    seen.add(fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip())
            except OSError:
                continue
        time.sleep(interval_s)
    return seen


def test_compose_up_keeps_the_password_off_command_lines():
    """podman-compose hands values to `podman create -e NAME=VALUE`; `overstap compose up` must make it pass
    `-e NAME` instead, and the services must still get the account."""
    _require_podman_compose()
    for product in ("radicale", "xandikos", "wsgidav", "apache", "nginx", "davical"):
        require_now(f"image:{product}")
    try:
        proc = subprocess.Popen([overstap_bin(), "compose", "up", "reference"], cwd=REPO, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, **ENV})
        lines = _sample_command_lines(proc)
        output = proc.stdout.read()
        assert proc.wait() == 0, output
        creates = [line for line in lines if " create " in line and "overstap/apache" in line]
        assert creates, f"the sampling saw no `podman create` (saw {len(lines)} command lines)"
        assert any(re.search(r"(^| )-e OVERSTAP_PASSWORD( |$)", line) for line in creates), creates
        leaks = [line for line in lines if SECRET in line]
        assert not leaks, f"the password is on a command line: {leaks}"
        answer = requests.request("PROPFIND", "http://127.0.0.1:18234/dav/", headers={"Depth": "0"},
                                  auth=("overstap", SECRET), timeout=10)
        assert answer.status_code == 207, answer.status_code
        wrong = requests.request("PROPFIND", "http://127.0.0.1:18234/dav/", headers={"Depth": "0"},
                                 auth=("overstap", "not-" + SECRET), timeout=10)
        assert wrong.status_code == 401, wrong.status_code
    finally:
        down = overstap("compose", "down", "reference", env=ENV, timeout=300)
        assert down.returncode == 0, down.stdout + down.stderr


def test_compose_up_that_fails_leaves_nothing_behind():
    """A port of the profile already taken: `up` fails with status 2, says why and that it brought the
    profile down, and no container, pod, network or volume of the project remains."""
    _require_podman_compose()
    for product in ("radicale", "xandikos", "wsgidav", "apache", "nginx", "davical"):
        require_now(f"image:{product}")
    before = _compose_objects()
    taken = socket.socket()
    try:
        taken.bind(("127.0.0.1", 18236))
        taken.listen()
        up = overstap("compose", "up", "reference", env=ENV, timeout=600)
    finally:
        taken.close()
        left = _compose_objects() - before
        if left:
            overstap("compose", "down", "reference", env=ENV, timeout=300)
    assert up.returncode == 2, up.stdout + up.stderr
    assert "Traceback" not in up.stderr
    assert "18236" in up.stderr and "address already in use" in up.stderr, up.stderr
    assert "brought the profile down" in up.stderr, up.stderr
    assert not left, f"a failed `up` left {sorted(left)}"


def test_compose_up_probes_each_port_of_a_range(tmp_path):
    """A published port range is probed port by port (never as one invalid URL); the readiness timeout
    brings the profile down and names the logs command with the file and the project."""
    _require_podman_compose()
    require_now("image:radicale")
    compose = tmp_path / "compose.yml"
    compose.write_text(textwrap.dedent("""
        services:
          radicale:
            image: localhost/overstap/radicale:latest
            profiles: [reference]
            pull_policy: never
            environment: {OVERSTAP_USERNAME: overstap, OVERSTAP_PASSWORD: "${OVERSTAP_PASSWORD}"}
            ports: ["127.0.0.1:18231-18232:8080-8081"]
            healthcheck: {test: ["CMD", "true"]}
    """))
    before = _compose_objects()
    try:
        up = overstap("compose", "up", "reference", "--file", str(compose), "--timeout", "30", env=ENV, timeout=600)
    finally:
        left = _compose_objects() - before
        if left:
            overstap("compose", "down", "reference", "--file", str(compose), env=ENV, timeout=300)
    assert up.returncode == 2, up.stdout + up.stderr
    assert "18231-18232/" not in up.stderr, up.stderr
    assert "http://127.0.0.1:18232/" in up.stderr and "http://127.0.0.1:18231/" not in up.stderr, up.stderr
    assert f"-f {compose}" in up.stderr and "-p overstap-reference" in up.stderr, up.stderr
    assert not left, f"a failed `up` left {sorted(left)}"


BAD_FILES = {
    "null-service": "services: {a: null}\n",
    "string-service": 'services: {a: "str"}\n',
    "healthcheck-list": "services: {a: {image: x, profiles: [reference], healthcheck: [1]}}\n",
    "depends-on-mapping": ("services:\n  a: {image: x, profiles: [reference], depends_on: [{b: 1}]}\n"
                           "  b: {image: y, profiles: [reference]}\n"),
    "profiles-nested": "services: {a: {image: x, profiles: [[1]], ports: [null]}}\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_compose_config_reports_malformed_services(tmp_path, name):
    _require_compose()
    bad = tmp_path / "compose.yml"
    bad.write_text(BAD_FILES[name])
    proc = overstap("compose", "config", "reference", "--file", str(bad))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "services/a" in proc.stdout and "invalid" in proc.stdout, proc.stdout


def test_compose_config_on_a_file_that_is_not_utf8(tmp_path):
    _require_compose()
    bad = tmp_path / "compose.yml"
    bad.write_bytes(b"services:\n  a: {image: \"caf\xe9\"}\n")
    proc = overstap("compose", "config", "reference", "--file", str(bad))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not UTF-8" in proc.stdout + proc.stderr


@pytest.mark.parametrize("action,setting", [
    ("config", {"OVERSTAP_COMPOSE_SCHEMA": "/etc/passwd"}),
    ("config", {"OVERSTAP_COMPOSE": "nosuchtool-overstap"}),
    ("down", {"OVERSTAP_COMPOSE": "nosuchtool-overstap"}),
    ("config", {"OVERSTAP_COMPOSE": 'a "b'}),
    ("down", {"OVERSTAP_COMPOSE": 'a "b'}),
], ids=["schema-not-json", "no-tool-config", "no-tool-down", "shlex-config", "shlex-down"])
def test_compose_settings_that_cannot_work_are_clear_errors(action, setting):
    _require_compose()
    proc = overstap("compose", action, "reference", env=setting)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    name = next(iter(setting))
    assert proc.stderr.startswith("overstap compose: ") and name in proc.stderr, proc.stderr


def test_compose_rules_judge_network_mode_and_long_port_syntax(tmp_path):
    _require_compose()
    bad = tmp_path / "compose.yml"
    bad.write_text(textwrap.dedent("""
        services:
          hostnet:
            image: x
            profiles: [reference]
            network_mode: host
            healthcheck: {test: ["CMD", "true"]}
          loopback:
            image: x
            profiles: [reference]
            ports: [{target: 80, published: 18240, host_ip: 127.0.0.1}]
            healthcheck: {test: ["CMD", "true"]}
          everywhere:
            image: x
            profiles: [reference]
            ports: [{target: 80, published: 18241}, "127.0.0.1:8082-8083:80-81"]
            healthcheck: {test: ["CMD", "true"]}
    """))
    proc = overstap("compose", "config", "reference", "--file", str(bad))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert "service hostnet: network_mode: host" in out, out
    assert "service loopback: port" not in out, out          # host_ip 127.0.0.1 is judged as loopback
    assert "service everywhere: port {'target': 80, 'published': 18241}" in out, out
    assert "8082-8083" not in out, out                       # a loopback range is fine
