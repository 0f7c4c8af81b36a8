"""docker-compose.yml and `overstap compose`: validation, and the reference profile brought up, tested and down.

Real compose tool (podman-compose against the Podman API service, or docker compose), real reference images.
"""

from __future__ import annotations

import textwrap

import pytest

from conftest import REPO, load_json, overstap, require_now


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
