"""Start-up wrapper for DAViCal: private PostgreSQL + private Apache, both children of this process.

Usage: ``python -m harness.catalog._davical_start SETTINGS.json`` (written by :mod:`harness.catalog.davical`).

Steps, all inside the work folder: ``initdb`` a cluster (as ``postgres`` when root), run ``postgres``
in the foreground with ``listen_addresses=''`` and its socket in ``pg/sock``, create the database
with DAViCal's ``dba/create-database.sh``, add one principal (user, principal and the home
collections DAViCal itself would create on first login), then run ``apache2 -DFOREGROUND``.
The wrapper stays in the foreground: on SIGTERM/SIGINT/SIGHUP (the guard signals the whole process
group) it asks PostgreSQL for a fast shutdown, waits for both servers and exits; when either server
dies it stops the other and exits non-zero.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from harness.catalog.base import untraversable

SHUTDOWN_WAIT_S = 4.0
PG_READY_TIMEOUT_S = 30.0


class Stop(Exception):
    """A stop signal arrived."""


def _log(message: str) -> None:
    print(f"[davical-start] {message}", file=sys.stderr, flush=True)


def _on_signal(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def _as_user(pg_user: str | None) -> dict:
    """subprocess keyword arguments that run a child as ``pg_user`` (nothing when not root)."""
    if not pg_user:
        return {}
    import pwd

    entry = pwd.getpwnam(pg_user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _chown(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for child in path.rglob("*"):
        os.chown(child, uid, gid, follow_symlinks=False)



def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def write_postgres(settings: dict, pg: Path) -> dict:
    """Create the cluster folder; returns the environment for PostgreSQL's client tools."""
    data, sock = pg / "data", pg / "sock"
    pg.mkdir()
    sock.mkdir()
    if settings["pg_user"]:
        import pwd

        entry = pwd.getpwnam(settings["pg_user"])
        _chown(pg, entry.pw_uid, entry.pw_gid)
        os.chmod(pg, 0o711)
        os.chmod(sock, 0o755)
    bindir = settings["pg_bindir"]
    env = {
        **os.environ,
        "PATH": f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "PGHOST": str(sock),
        "PGUSER": "postgres",
        "PGDATABASE": "template1",
        "TMPDIR": str(pg),  # create-database.sh's mktemp note file
        "HOME": str(pg),
        "LC_ALL": "C.UTF-8",
    }
    env.pop("PGPORT", None)
    env.pop("PGCLUSTER", None)
    subprocess.run(
        [f"{bindir}/initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
         "--locale=C", "--no-sync", "--no-instructions"],
        check=True, env=env, cwd=pg, stdout=subprocess.DEVNULL, **_as_user(settings["pg_user"]),
    )
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(
            "\n# Overstap: private, socket-only, disposable\n"
            "listen_addresses = ''\n"
            f"unix_socket_directories = '{sock}'\n"
            "dynamic_shared_memory_type = mmap\n"  # segments under data/, never in /dev/shm
            "max_connections = 40\n"
            "shared_buffers = 16MB\n"
            "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            "logging_collector = off\n"
            "log_min_messages = warning\n"
        )
    return env


def wait_postgres(env: dict, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + PG_READY_TIMEOUT_S
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"postgres exited with status {server.returncode}")
        probe = subprocess.run(
            [f"{env['PATH'].split(':')[0]}/pg_isready", "-q"], env=env, check=False,
        )
        if probe.returncode == 0:
            return
        if time.monotonic() > deadline:
            raise RuntimeError("postgres did not accept connections in time")
        time.sleep(0.05)


def create_database(settings: dict, env: dict, pg: Path) -> None:
    """DAViCal's own create-database.sh, then one principal with its home collections."""
    kwargs = _as_user(settings["pg_user"])
    proc = subprocess.run(
        ["sh", f"{settings['dba']}/create-database.sh", "davical", settings["admin_password"]],
        env={**env, "PSQLOPTS": "", "DBAOPTS": ""}, cwd=pg, capture_output=True, text=True, check=False, **kwargs,
    )
    output = (proc.stdout + proc.stderr).replace(settings["admin_password"], "********")
    if proc.returncode != 0 or "ERROR" in output:
        _log(output)
        raise RuntimeError(f"create-database.sh failed with status {proc.returncode}")
    user, password = settings["username"], settings["password"]
    # What DAViCal does on a first login (auth-functions.php: Principal::Create, CreateHomeCollections):
    # a usr row, its principal, the home calendar, the scheduling inbox/outbox and the address book.
    collections = [
        ("calendar", f"{user} calendar", True),
        (".out", f"{user} Outbox", True),
        (".in", f"{user} Inbox", True),
        ("addresses", f"{user} addressbook", False),
    ]
    lines = [
        "BEGIN;",
        "INSERT INTO usr (active, email_ok, updated, username, password, fullname, email) VALUES "
        f"(TRUE, current_date, current_date, {_sql_literal(user)}, {_sql_literal('**' + password)}, "
        f"{_sql_literal(user)}, {_sql_literal(user + '@example.net')});",
        "INSERT INTO principal (type_id, user_no, displayname, default_privileges) "
        "SELECT 1, user_no, fullname, privilege_to_bits(ARRAY['read-free-busy','schedule-deliver']) "
        f"FROM usr WHERE username = {_sql_literal(user)};",
    ]
    for name, display, is_calendar in collections:
        resourcetype = (
            "<DAV::collection/><urn:ietf:params:xml:ns:caldav:calendar/>" if is_calendar
            else "<DAV::collection/><urn:ietf:params:xml:ns:carddav:addressbook/>"
        )
        lines.append(
            "INSERT INTO collection (user_no, parent_container, dav_name, dav_etag, dav_displayname, is_calendar, "
            "is_addressbook, default_privileges, created, modified, resourcetypes) "
            f"SELECT user_no, {_sql_literal('/' + user + '/')}, {_sql_literal('/' + user + '/' + name + '/')}, '-1', "
            f"{_sql_literal(display)}, {str(is_calendar).upper()}, {str(not is_calendar).upper()}, NULL, "
            f"current_timestamp, current_timestamp, {_sql_literal(resourcetype)} "
            f"FROM usr WHERE username = {_sql_literal(user)};"
        )
    lines.append("COMMIT;")
    proc = subprocess.run(
        ["psql", "-qXAt", "-v", "ON_ERROR_STOP=1", "-d", "davical"],
        input="\n".join(lines) + "\n", env=env, cwd=pg, capture_output=True, text=True, check=False, **kwargs,
    )
    if proc.returncode != 0:
        _log(proc.stdout + proc.stderr)
        raise RuntimeError("creating the DAViCal principal failed")


def write_apache(settings: dict) -> Path:
    """The private Apache configuration, DAViCal's configuration and the PHP prepend file."""
    workdir = Path(settings["workdir"])
    web = workdir / "apache"
    run = web / "run"
    run.mkdir(parents=True)
    sock = workdir / "pg" / "sock"
    conf_php = web / "davical-conf.php"
    conf_php.write_text(
        "<?php\n"
        "// Overstap's private DAViCal configuration (see harness/catalog/davical.py)\n"
        "$_SERVER['SERVER_NAME'] = '127.0.0.1';\n"
        "$c->domain_name = '127.0.0.1';\n"
        f"$c->pg_connect[] = 'host={sock} dbname=davical user=davical_app';\n"
        "$c->system_name = 'DAViCal (Overstap)';\n"
        "$c->admin_email = 'admin@example.net';\n"
        "$c->restrict_setup_to_admin = true;\n"
    )
    # always.php includes '/etc/davical/' . SERVER_NAME . '-conf.php' before anything else: aim it here.
    relative = "../.." + str(web / "davical")
    prepend = web / "prepend.php"
    prepend.write_text(f"<?php\n$_SERVER['SERVER_NAME'] = {relative!r};\n")
    lines = [f"LoadModule {Path(m).name[4:-3]}_module {m}" for m in settings["apache_modules"]]
    lines.append(f"LoadModule php_module {settings['php_module']}")
    if settings["www_ids"]:
        uid, gid = settings["www_ids"]
        lines += [f"User #{uid}", f"Group #{gid}"]
    htdocs = settings["htdocs"]
    lines += [
        f'ServerRoot "{web}"',
        f'DefaultRuntimeDir "{run}"',
        f'PidFile "{run / "httpd.pid"}"',
        f"Mutex file:{run} default",
        "ServerName 127.0.0.1",
        "UseCanonicalName Off",
        f"Listen {settings.get('listen', '127.0.0.1')}:{settings['port']}",
        'ErrorLog "/dev/stderr"',
        "LogLevel warn",
        'LogFormat "%h %u \\"%r\\" %>s %b" overstap',
        'CustomLog "/dev/stdout" overstap',
        "StartServers 2",
        "MinSpareServers 2",
        "MaxSpareServers 6",
        "MaxRequestWorkers 24",
        "TypesConfig /dev/null",
        f'DocumentRoot "{htdocs}"',
        f'<Directory "{htdocs}">',
        "    DirectoryIndex index.php",
        "    AllowOverride None",
        "    Require all granted",
        "</Directory>",
        '<FilesMatch "\\.php$">',
        "    SetHandler application/x-httpd-php",
        "</FilesMatch>",
        f'php_admin_value include_path "{settings["include_path"]}"',
        f'php_admin_value auto_prepend_file "{prepend}"',
        "php_admin_flag display_errors off",
        f'php_admin_value session.save_path "{run}"',
        f'php_admin_value opcache.lockfile_path "{run}"',
        f'php_admin_value sys_temp_dir "{run}"',
        f'php_admin_value upload_tmp_dir "{run}"',
        "RewriteEngine On",
        "RewriteRule ^/\\.well-known/(.*)$ /caldav.php/.well-known/$1 [NC,PT]",
        "RewriteRule ^/principals/users/(.*)$ /caldav.php/$1 [NC,PT]",
    ]
    config = web / "httpd.conf"
    config.write_text("\n".join(lines) + "\n")
    if settings["www_ids"]:
        _chown(web, *settings["www_ids"])
        for path in (conf_php, prepend, config):
            os.chmod(path, 0o644)
    return config


def _stop(children: list[subprocess.Popen], postgres: subprocess.Popen | None) -> None:
    """Fast-shut PostgreSQL, terminate the rest, wait; SIGKILL whatever outlives SHUTDOWN_WAIT_S."""
    for child in children:
        if child.poll() is None:
            try:
                child.send_signal(signal.SIGINT if child is postgres else signal.SIGTERM)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + SHUTDOWN_WAIT_S
    for child in children:
        try:
            child.wait(timeout=max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def main(argv: list[str]) -> int:
    settings = json.loads(Path(argv[0]).read_text())
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    workdir = Path(settings["workdir"])
    pg = workdir / "pg"
    children: list[subprocess.Popen] = []
    postgres = None
    status = 0
    try:
        started = time.monotonic()
        servers = []  # (uid, gid) of the users the servers run as, when root hands them over
        if settings["pg_user"]:
            servers.append((_as_user(settings["pg_user"])["user"], _as_user(settings["pg_user"])["group"]))
        if settings["www_ids"]:
            servers.append(tuple(settings["www_ids"]))
        for uid, gid in servers:
            blocked = untraversable(workdir, uid, gid)
            if blocked:
                raise RuntimeError(f"{blocked} is closed to uid {uid}: PostgreSQL and Apache cannot reach {workdir} "
                                   "(use a TMPDIR that others may traverse, e.g. mode 0711)")
        env = write_postgres(settings, pg)
        postgres = subprocess.Popen(
            [f"{settings['pg_bindir']}/postgres", "-D", str(pg / "data")],
            env=env, cwd=pg, stdin=subprocess.DEVNULL, **_as_user(settings["pg_user"]),
        )
        children.append(postgres)
        wait_postgres(env, postgres)
        _log(f"postgres ready after {time.monotonic() - started:.1f} s")
        create_database(settings, env, pg)
        _log(f"database and principal {settings['username']!r} ready after {time.monotonic() - started:.1f} s")
        config = write_apache(settings)
        apache_env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        apache = subprocess.Popen(
            ["apache2", "-f", str(config), "-DFOREGROUND"], env=apache_env, cwd=workdir / "apache",
            stdin=subprocess.DEVNULL,
        )
        children.append(apache)
        while True:
            for child in children:
                if child.poll() is not None:
                    name = "postgres" if child is postgres else "apache2"
                    _log(f"{name} exited with status {child.returncode}")
                    return 1
            time.sleep(0.2)
    except Stop as why:
        _log(f"{why}: stopping")
        status = 0
    except (RuntimeError, subprocess.CalledProcessError, OSError) as exc:
        _log(f"start-up failed: {exc}")
        status = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        _stop(children, postgres)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
