"""A watchdog between the harness and one local server process.

Usage: ``python -m harness.providers._guard PARENT_PID WORKDIR -- ARGV...``

The guard starts the server in a session of its own and stays with it. When the harness asks it to
stop (SIGTERM/SIGINT/SIGHUP) it stops the server's whole process group. When the process that
started the guard disappears (a crash or SIGKILL of the run), the guard stops the server *and*
removes the work folder, so nothing is left behind. It exits with the server's status when the
server ends by itself, leaving the folder (and its log) to the harness.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

POLL_S = 0.1
GRACE_S = 5.0


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after GRACE_S."""
    for sig, wait in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc.poll() is not None and not _group_alive(proc.pid):
                return
            time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv: list[str]) -> int:
    parent_pid, workdir, sep, *command = argv
    if sep != "--" or not command:
        print("usage: python -m harness.providers._guard PARENT_PID WORKDIR -- ARGV...", file=sys.stderr)
        return 2
    parent = int(parent_pid)
    asked = []

    def on_signal(signum, _frame):
        asked.append(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, on_signal)
    proc = subprocess.Popen(command, start_new_session=True)
    while True:
        if asked:
            _stop_group(proc)
            return 0
        if os.getppid() != parent:  # the harness died: clean up for it
            _stop_group(proc)
            shutil.rmtree(workdir, ignore_errors=True)
            return 0
        status = proc.poll()
        if status is not None:
            _stop_group(proc)  # workers the server left behind
            return status
        time.sleep(POLL_S)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
