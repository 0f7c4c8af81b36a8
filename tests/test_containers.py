"""The containers provider, the reference images and docker-compose.yml, on a real Podman (or Docker).

Real engine, real images built by ``overstap images build`` (``./dev setup`` builds them), real servers
inside: the same suites run against a product started as a local process and as a container must give
the same verdicts, and nothing may be left behind -- not after a run, not after a crashed harness.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO, load_json, overstap, require_now, wait_until

COMPARED = ("radicale", "apache")  # one CalDAV/CardDAV, one WebDAV product


def _engine():
    from harness.providers.containers import engine

    return engine()


def _ours(client) -> list:
    from harness.providers.containers import LABEL_OWNER

    return client.containers.list(all=True, filters={"label": LABEL_OWNER})


def _volumes(client) -> set[str]:
    return {v.name for v in client.volumes.list()}


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory):
    """One run of the local and the container target of each compared product, with the engine's
    containers and volumes listed before and after."""
    for product in COMPARED:
        require_now(product)
        require_now(f"image:{product}")
    client = _engine()
    before_volumes = _volumes(client)
    before = {c.id for c in _ours(client)}
    out = tmp_path_factory.mktemp("containers")
    targets = [arg for p in COMPARED for arg in ("--target", p, "--target", f"container:{p}")]
    proc = overstap("run", *targets, "--no-moves", "--out", str(out), timeout=900)
    after = {c.id for c in _ours(client)}
    after_volumes = _volumes(client)
    client.close()
    return proc, load_json(out / "report.json"), before, after, before_volumes, after_volumes


def test_container_runs_give_the_same_verdicts_as_local_runs(side_by_side):
    proc, report, *_ = side_by_side
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    targets = {t["id"]: t for t in report["targets"]}
    statuses: dict[str, dict[str, str]] = {}
    for result in report["results"]:
        statuses.setdefault(result["target"], {})[result["check"]] = result["status"]
    for product in COMPARED:
        local, container = targets[product], targets[f"{product}-container"]
        assert container["provider"] == "container" and local["provider"] == "local"
        assert container["version"] == local["version"], (
            f"{product}: the image has {container['version']}, this machine {local['version']}; rebuild the "
            f"image (overstap images build {product}) so that the same version is compared")
        ours, theirs = statuses[product], statuses[f"{product}-container"]
        assert len(ours) > 50, f"{product}: only {len(ours)} results"
        assert set(ours) == set(theirs)
        differ = {c: (ours[c], theirs[c]) for c in ours if ours[c] != theirs[c]}
        assert not differ, f"{product}: local vs container verdicts differ: {differ}"
        # the suites found real failures on both, so equal verdicts are not "everything passed"
        assert any(s in ("FAIL", "WARN") for s in ours.values())


def test_container_evidence_uses_the_published_port(side_by_side):
    _, report, *_ = side_by_side
    endpoint = next(t["endpoints"]["webdav"] for t in report["targets"] if t["id"] == "apache-container")
    assert endpoint.startswith("http://127.0.0.1:") and endpoint.endswith("/dav/")
    urls = [e["request"]["url"] for r in report["results"] if r["target"] == "apache-container"
            for e in (r.get("evidence") or {}).get("exchanges", []) if e["request"]["url"].startswith("http")]
    assert urls and all(u.startswith(endpoint.split("/dav/")[0]) for u in urls)


def test_a_run_leaves_no_container_or_volume(side_by_side):
    _, _, before, after, before_volumes, after_volumes = side_by_side
    assert after <= before, f"containers left behind: {after - before}"
    assert after_volumes <= before_volumes, f"volumes left behind: {after_volumes - before_volumes}"


def test_a_killed_harness_leaves_no_container():
    """SIGKILL of the process that started a container: its guard removes the container."""
    require_now("image:radicale")
    script = textwrap.dedent("""
        import os, signal, sys
        from harness import catalog
        from harness.providers.containers import ContainerTarget
        target = ContainerTarget(catalog.get("radicale"))
        target.start()
        print(target.container.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180, cwd=REPO)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    container_id = proc.stdout.strip()
    assert len(container_id) >= 12
    client = _engine()
    try:
        def gone() -> bool:
            return all(c.id != container_id for c in client.containers.list(all=True))
        assert wait_until(gone, timeout=30), f"container {container_id[:12]} outlived its harness"
    finally:
        client.close()


def test_sweep_removes_only_containers_whose_owner_is_gone():
    """Only our own containers (name overstap-*, every owner label) whose owner process ran in this PID
    namespace and is gone; never a live run's, another namespace's, or a look-alike someone else made."""
    require_now("image:radicale")
    from harness import catalog
    from harness.providers.containers import LABEL_OWNER, LABEL_PIDNS, image_tag, owner_labels, sweep

    dead = subprocess.Popen(["true"])
    dead.wait()
    client = _engine()
    image = image_tag(catalog.get("radicale"))
    token = os.urandom(3).hex()
    cases = {  # name -> labels
        f"overstap-sweep-dead-{token}": {**owner_labels("t"), LABEL_OWNER: str(dead.pid)},
        f"overstap-sweep-live-{token}": owner_labels("t"),
        f"overstap-sweep-otherns-{token}": {**owner_labels("t"), LABEL_OWNER: str(dead.pid),
                                            LABEL_PIDNS: "another-boot/pid:[1]"},
        f"users-own-{token}": {**owner_labels("t"), LABEL_OWNER: str(dead.pid)},
    }
    made = []
    try:
        for name, labels in cases.items():
            made.append(client.containers.create(image, command=["sleep", "60"], name=name, labels=labels))
        removed = sweep(client)
        names = {c.name for c in client.containers.list(all=True)}
        assert f"overstap-sweep-dead-{token}" in removed and f"overstap-sweep-dead-{token}" not in names
        for kept in (f"overstap-sweep-live-{token}", f"overstap-sweep-otherns-{token}", f"users-own-{token}"):
            assert kept in names, f"{kept} was removed"
    finally:
        for container in made:
            try:
                container.remove(force=True, v=True)
            except Exception:
                pass
        client.close()


def _build_test_image(client, tag: str, script: str, digest: str | None = None) -> None:
    """A small image on the base (no network) whose command runs ``script`` with sh."""
    import io
    import json as _json

    from harness.images import BASE_TAG, catalog_digest
    from harness.providers.containers import LABEL_DIGEST

    label = f"LABEL {LABEL_DIGEST}={catalog_digest(digest)}\n" if digest else ""
    dockerfile = f"FROM {BASE_TAG}\n{label}CMD [\"sh\", \"-c\", {_json.dumps(script)}]\n"
    client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True)


def test_a_failed_start_never_shows_the_secrets_it_was_given(tmp_path):
    """An image that prints its secret environment and dies: the start error and the log in the evidence
    are redacted like everything else."""
    require_now("image:radicale")
    client = _engine()
    tag = f"localhost/overstap-test/leaky:{os.urandom(3).hex()}"
    try:
        _build_test_image(client, tag, 'echo "starting with APP_PASSWORD=$APP_PASSWORD"; exit 3')
        targets = tmp_path / "t.toml"
        targets.write_text(DECLARED.format(image=tag).replace(
            'environment_env = { OVERSTAP_PASSWORD = "OV_TEST_PW" }', 'environment_env = { APP_PASSWORD = "OV_TEST_PW" }'))
        secret = "Leaky-Secret-8472"
        proc = overstap("run", "--targets-file", str(targets), "--suite", "webdav", "-k", "basic",
                        "--out", str(tmp_path / "out"), env={"OV_TEST_USER": "alice", "OV_TEST_PW": secret})
        report = load_json(tmp_path / "out" / "report.json")
        assert "exited" in report["targets"][0]["error"] and "[redacted]" in report["targets"][0]["error"]
        written = [p.read_text(errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file()]
        assert all(secret not in text for text in written)
        assert secret not in proc.stdout + proc.stderr
    finally:
        client.images.remove(tag, force=True)
        client.close()


def test_an_announcement_naming_another_host_is_refused():
    """The image's OVERSTAP-SERVE line cannot point the checks (and the account) at another host."""
    require_now("image:radicale")
    from harness import catalog
    from harness.providers.containers import ContainerTarget, TargetStartError

    class Rogue(type(catalog.get("radicale"))):
        name = f"rogue{os.urandom(2).hex()}"

    client = _engine()
    tag = f"localhost/overstap/{Rogue.name}:latest"
    try:
        _build_test_image(client, tag, 'echo \'OVERSTAP-SERVE {"endpoints": {"caldav": "//127.0.0.2:9/steal/"}, '
                                       '"probe": "/"}\'; sleep 30', digest=Rogue.name)
        with pytest.raises(TargetStartError, match="not an OVERSTAP-SERVE line"):
            ContainerTarget(Rogue(), timeout_s=20).start()
    finally:
        client.images.remove(tag, force=True)
        client.close()


def test_missing_image_and_product_without_image_are_clear(tmp_path):
    require_now("image:radicale")
    proc = overstap("run", "--target", "container:lighttpd", "--no-moves", "--out", str(tmp_path / "a"))
    assert proc.returncode == 2
    assert "has no reference image" in proc.stdout + proc.stderr

    from harness import catalog
    from harness.catalog import ProductUnavailable
    from harness.providers.containers import ContainerTarget

    class Unbuilt(type(catalog.get("radicale"))):
        name = "radicale-never-built"

    with pytest.raises(ProductUnavailable, match="overstap images build radicale-never-built"):
        ContainerTarget(Unbuilt()).start()


def test_no_engine_is_a_clear_error():
    proc = overstap("images", "list", env={"DOCKER_HOST": "unix:///nonexistent/overstap.sock"})
    assert proc.returncode == 2
    assert "no Docker Engine API answers" in proc.stderr and "podman system service" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_images_list_shows_the_built_images():
    require_now("image:radicale")
    proc = overstap("images", "list")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines()[1:]}
    assert rows["(base)"] == "yes" and rows["radicale"] == "yes"
    assert set(rows) >= {"apache", "nginx", "wsgidav", "xandikos", "davical"}


# -- targets-file entries with provider = "container" (any image: upstream ones where a registry is reachable) --
DECLARED = """
[[targets]]
id = "wsgidav-declared"
product = "wsgidav"
provider = "container"
image = "{image}"
port = 8080
endpoints = {{ webdav = "/" }}
environment = {{ OVERSTAP_USERNAME = "alice" }}
environment_env = {{ OVERSTAP_PASSWORD = "OV_TEST_PW" }}
username_env = "OV_TEST_USER"
password_env = "OV_TEST_PW"
"""


def test_declared_image_entry_runs_with_environment_from_the_caller(tmp_path):
    require_now("image:wsgidav")
    targets = tmp_path / "targets.toml"
    targets.write_text(DECLARED.format(image="localhost/overstap/wsgidav:latest"))
    env = {"OV_TEST_USER": "alice", "OV_TEST_PW": "declared-secret-4711"}
    proc = overstap("run", "--targets-file", str(targets), "--suite", "webdav", "-k", "basic",
                    "--out", str(tmp_path / "out"), env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    report = load_json(tmp_path / "out" / "report.json")
    (target,) = report["targets"]
    assert target["provider"] == "container"
    assert target["version"][0].isdigit(), target  # read from the Server header (WsgiDAV/x.y.z)
    assert target["endpoints"]["webdav"].startswith("http://127.0.0.1:")
    statuses = [r["status"] for r in report["results"]]
    assert statuses and statuses.count("PASS") == len(statuses)  # wsgidav passes the basic group
    assert "declared-secret-4711" not in (tmp_path / "out" / "report.json").read_text()

    unset = {k: v for k, v in os.environ.items() if k not in ("OV_TEST_USER", "OV_TEST_PW")}
    missing = subprocess.run([sys.executable, "-m", "harness.cli", "run", "--targets-file", str(targets),
                              "--out", str(tmp_path / "out2")], capture_output=True, text=True, env=unset,
                             cwd=REPO, timeout=120)
    assert missing.returncode == 2 and "OV_TEST_PW" in missing.stderr, missing.stderr


def test_declared_entry_refuses_secrets_and_explains_a_missing_image(tmp_path):
    require_now("image:wsgidav")
    bad = tmp_path / "secret.toml"
    bad.write_text(DECLARED.format(image="x").replace(
        'environment = { OVERSTAP_USERNAME = "alice" }', 'environment = { ADMIN_PASSWORD = "hunter2" }'))
    proc = overstap("run", "--targets-file", str(bad), "--out", str(tmp_path / "a"))
    assert proc.returncode == 2 and "ADMIN_PASSWORD looks like a secret" in proc.stderr
    for old, new, message in (
            ('port = 8080', 'port = true', "'port' must be"),
            ('endpoints = { webdav = "/" }', 'endpoints = { webdav = "//127.0.0.2/dav/" }', "endpoints are paths"),
            ('id = "wsgidav-declared"', 'id = "my wsgidav"', "may hold only letters"),
            ('product = "wsgidav"', 'product = "wsgidav"\ncapabilities = "webdav"', "'capabilities' must be a list"),
            ('product = "wsgidav"', 'product = "wsgidav"\nversion = 4', "'version' must be a string"),
            ('environment = { OVERSTAP_USERNAME = "alice" }', 'environment = { DB = "postgres://u:pw@db/x" }',
             "looks like a secret")):
        bad.write_text(DECLARED.format(image="x").replace(old, new))
        proc = overstap("run", "--targets-file", str(bad), "--out", str(tmp_path / "a"))
        assert proc.returncode == 2 and message in proc.stderr, (new, proc.stderr)
        assert "Traceback" not in proc.stderr

    unknown = tmp_path / "unknown.toml"
    unknown.write_text(DECLARED.format(image="localhost/overstap/never-built-anywhere:1"))
    proc = overstap("run", "--targets-file", str(unknown), "--suite", "webdav", "-k", "basic",
                    "--out", str(tmp_path / "b"), env={"OV_TEST_USER": "alice", "OV_TEST_PW": "x"})
    assert proc.returncode != 0
    report = load_json(tmp_path / "b" / "report.json")
    assert "cannot be pulled" in report["targets"][0].get("error", ""), report["targets"]
    assert "Traceback" not in proc.stdout + proc.stderr
