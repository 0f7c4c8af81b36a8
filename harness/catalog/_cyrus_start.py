"""Start-up wrapper for Cyrus IMAP's CalDAV/CardDAV httpd, with ``master`` as a child of this process.

Usage: ``python -m harness.catalog._cyrus_start SETTINGS.json`` (written by :mod:`harness.catalog.cyrus`).

Steps, all inside the work folder: write ``imapd.conf`` and a first ``cyrus.conf`` that serves IMAP
only (on a private loopback port), add the user to a private sasldb with ``saslpasswd2``, run
``master`` in the foreground, log in once over IMAP (``autocreate_quota`` makes that login create
the user's INBOX, without which every DAV request answers 500), then add the ``http`` service to
``cyrus.conf`` and send ``master`` SIGHUP so that it starts listening on the HTTP port: the HTTP
port only answers once the target is usable, so probing it is an honest readiness check.
On SIGTERM/SIGINT/SIGHUP (the guard signals the whole process group) the wrapper stops ``master``
(which stops its services), waits and exits; when ``master`` dies it exits non-zero.
"""

from __future__ import annotations

import imaplib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness.catalog.base import untraversable

SHUTDOWN_WAIT_S = 4.0
READY_TIMEOUT_S = 30.0
SERVERNAME = "localhost"  # also the SASL realm of the sasldb entry


class Stop(Exception):
    """A stop signal arrived."""


def _log(message: str) -> None:
    print(f"[cyrus-start] {message}", file=sys.stderr, flush=True)


def _on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def write_config(settings: dict) -> tuple[Path, Path]:
    """imapd.conf and the IMAP-only cyrus.conf; returns their paths."""
    root = Path(settings["workdir"]) / "cyrus"
    folders = {name: root / name for name in ("conf", "spool", "proc", "lock", "socket", "sieve", "tmp", "run")}
    folders["conf_socket"] = folders["conf"] / "socket"  # imapd binds its IDLE client socket here
    for folder in folders.values():
        folder.mkdir(parents=True, mode=0o750)
    imapd_conf = root / "imapd.conf"
    user = settings["cyrus_user"]
    lines = [
        f"configdirectory: {folders['conf']}",
        f"proc_path: {folders['proc']}",
        f"mboxname_lockpath: {folders['lock']}",
        f"temp_path: {folders['tmp']}",
        "defaultpartition: default",
        f"partition-default: {folders['spool']}",
        f"sievedir: {folders['sieve']}",
        "sieveusehomedir: false",
        f"lmtpsocket: {folders['socket'] / 'lmtp'}",
        f"idlesocket: {folders['socket'] / 'idle'}",
        f"notifysocket: {folders['socket'] / 'notify'}",
        f"servername: {SERVERNAME}",
        "altnamespace: no",
        "unixhierarchysep: no",
        "hashimapspool: true",
        "allowplaintext: yes",
        "allowanonymouslogin: no",
        "autocreate_quota: 0",
        "umask: 077",
        "sasl_pwcheck_method: auxprop",
        "sasl_auxprop_plugin: sasldb",
        f"sasl_sasldb_path: {folders['conf'] / 'sasldb2'}",
        "sasl_mech_list: PLAIN LOGIN",
        "sasl_auto_transition: no",
        "httpmodules: caldav carddav",
        "httpallowcompress: no",
        "syslog_prefix: overstap-cyrus",
    ]
    if user:
        lines += [f"cyrus_user: {user}"]
    else:
        import pwd

        lines += [f"cyrus_user: {pwd.getpwuid(os.geteuid()).pw_name}"]
    imapd_conf.write_text("\n".join(lines) + "\n")
    cyrus_conf = root / "cyrus.conf"
    cyrus_conf.write_text(_cyrus_conf(settings, imapd_conf, http=False))
    return imapd_conf, cyrus_conf



def _cyrus_conf(settings: dict, imapd_conf: Path, http: bool) -> str:
    bin_ = settings["bin"]
    services = [
        f'\timap\tcmd="{bin_}/imapd -C {imapd_conf} -U 30" listen="127.0.0.1:{settings["imap_port"]}" '
        "prefork=0 maxchild=20",
    ]
    if http:
        services.append(
            f'\thttp\tcmd="{bin_}/httpd -C {imapd_conf} -U 30" listen="127.0.0.1:{settings["http_port"]}" '
            "prefork=1 maxchild=40"
        )
    return (
        "START {\n"
        f'\trecover\tcmd="{bin_}/ctl_cyrusdb -C {imapd_conf} -r"\n'
        "}\n"
        "SERVICES {\n" + "\n".join(services) + "\n}\n"
        "EVENTS {\n"
        f'\tcheckpoint\tcmd="{bin_}/ctl_cyrusdb -C {imapd_conf} -c" period=30\n'
        "}\n"
    )


def add_user(settings: dict, imapd_conf: Path) -> None:
    sasldb = imapd_conf.parent / "conf" / "sasldb2"
    subprocess.run(
        ["saslpasswd2", "-f", str(sasldb), "-u", SERVERNAME, "-c", "-p", settings["username"]],
        input=settings["password"], text=True, check=True,
    )


def hand_over(settings: dict) -> None:
    """Give the Cyrus folders to the cyrus user when running as root."""
    if not settings["cyrus_user"]:
        return
    import pwd

    entry = pwd.getpwnam(settings["cyrus_user"])
    root = Path(settings["workdir"]) / "cyrus"
    blocked = untraversable(root, entry.pw_uid, entry.pw_gid)
    if blocked:
        raise RuntimeError(f"{blocked} is closed to the {settings['cyrus_user']} user: Cyrus cannot reach {root} "
                           "(use a TMPDIR that others may traverse, e.g. mode 0711)")
    os.chown(root, entry.pw_uid, entry.pw_gid)
    for path in root.rglob("*"):
        os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def first_login(settings: dict, master: subprocess.Popen) -> None:
    """Log in over IMAP until it works: the login makes Cyrus create the user's INBOX."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = None
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise RuntimeError(f"master exited with status {master.returncode}")
        try:
            with imaplib.IMAP4("127.0.0.1", settings["imap_port"], timeout=5) as imap:
                imap.login(settings["username"], settings["password"])
                status, _ = imap.select("INBOX")
                if status != "OK":
                    raise imaplib.IMAP4.error(f"SELECT INBOX answered {status}")
                imap.logout()
                return
        except (OSError, imaplib.IMAP4.error) as exc:
            last = exc
            time.sleep(0.05)
    raise RuntimeError(f"the first IMAP login did not succeed: {last}")


def wait_listening(port: int, master: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise RuntimeError(f"master exited with status {master.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"master did not listen on {port}")


def _stop(master: subprocess.Popen | None) -> None:
    if master is None:
        return
    if master.poll() is None:
        try:
            master.send_signal(signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        master.wait(timeout=SHUTDOWN_WAIT_S)
    except subprocess.TimeoutExpired:
        master.kill()
        master.wait()


def main(argv: list[str]) -> int:
    settings = json.loads(Path(argv[0]).read_text())
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    master = None
    status = 0
    try:
        started = time.monotonic()
        imapd_conf, cyrus_conf = write_config(settings)
        add_user(settings, imapd_conf)
        hand_over(settings)
        root = imapd_conf.parent
        master = subprocess.Popen(
            [f"{settings['bin']}/master", "-C", str(imapd_conf), "-M", str(cyrus_conf),
             "-p", str(root / "run" / "master.pid"), "-D"],
            cwd=root, stdin=subprocess.DEVNULL,
        )
        first_login(settings, master)
        _log(f"INBOX of {settings['username']!r} created after {time.monotonic() - started:.1f} s")
        cyrus_conf.write_text(_cyrus_conf(settings, imapd_conf, http=True))
        master.send_signal(signal.SIGHUP)  # master rereads cyrus.conf and starts the http service
        wait_listening(settings["http_port"], master)
        _log(f"http listening on {settings['http_port']} after {time.monotonic() - started:.1f} s")
        while master.poll() is None:
            time.sleep(0.2)
        _log(f"master exited with status {master.returncode}")
        return 1
    except Stop as why:
        _log(f"{why}: stopping")
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        _log(f"start-up failed: {exc}")
        status = 1
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        _stop(master)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
