"""A watchdog between the harness and one container.

Usage: ``python -m harness.providers._container_guard PARENT_PID CONTAINER_ID`` (DOCKER_HOST names the engine).

When the process that started the guard disappears (a crash or SIGKILL of the run), the guard removes
the container and its anonymous volumes, so nothing is left behind. When the harness asks it to stop
(SIGTERM/SIGINT/SIGHUP) it just exits: the harness removes the container itself. It also exits when the
container is gone.
"""

from __future__ import annotations

import os
import signal
import sys
import time

POLL_S = 0.2
CHECK_CONTAINER_EVERY = 25  # polls between "is the container still there?" questions (5 s)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m harness.providers._container_guard PARENT_PID CONTAINER_ID", file=sys.stderr)
        return 2
    parent, container_id = int(argv[0]), argv[1]
    asked = []
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda signum, _frame: asked.append(signum))
    import docker

    client = docker.DockerClient(base_url=os.environ["DOCKER_HOST"], timeout=60)
    polls = 0
    while not asked:
        if os.getppid() != parent:  # the harness died: clean up for it
            try:
                client.containers.get(container_id).remove(force=True, v=True)
            except docker.errors.NotFound:
                pass
            return 0
        polls += 1
        if polls % CHECK_CONTAINER_EVERY == 0:
            try:
                client.containers.get(container_id)
            except docker.errors.NotFound:
                return 0
        time.sleep(POLL_S)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
