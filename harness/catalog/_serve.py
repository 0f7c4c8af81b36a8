"""Entry point of Overstap's reference images: start one catalog product in the foreground.

Usage (inside an image built by ``overstap images build``)::

    python3 -m harness.catalog._serve PRODUCT [--port 8080] [--listen 0.0.0.0] [--workdir /srv/overstap]
    python3 -m harness.catalog._serve --health [--workdir /srv/overstap]

The product's own :meth:`~harness.catalog.base.Product.local_spec` writes the configuration, exactly
as for a local run, so that a container and a local process of the same version get the same
configuration and so the same verdicts. The account comes from the environment (``OVERSTAP_USERNAME``,
``OVERSTAP_PASSWORD``; a random password when unset). Before the server starts, one line
``OVERSTAP-SERVE {json}`` goes to standard output: the product, its version and the *paths* of its
endpoints and probe (the containers provider maps them onto the published port). The password is
never printed. The same line is kept in ``WORKDIR/serve.json``. Then the process is replaced by the
server (``exec``), so the engine's stop signal reaches the server itself.

``--health`` is the images' healthcheck (docker-compose.yml): exit 0 when the probe path answers with
any status below 500 (401 included: the server is up and asks for the account), else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from harness import catalog
from harness.catalog.base import account
from harness.target import Credentials

ANNOUNCE = "OVERSTAP-SERVE "


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def health(parent: Path) -> int:
    """0 when the product announced in ``parent/serve.json`` answers its probe path below 500, else 1."""
    import http.client

    try:
        announced = json.loads((parent / "serve.json").read_text())
        connection = http.client.HTTPConnection("127.0.0.1", int(announced["port"]), timeout=5)
        connection.request("GET", announced["probe"])
        status = connection.getresponse().status
    except (OSError, ValueError, KeyError, http.client.HTTPException) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0 if status < 500 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m harness.catalog._serve",
                                     description="Start one Overstap catalog product in the foreground.")
    parser.add_argument("product", nargs="?", help="catalog name, e.g. radicale")
    parser.add_argument("--health", action="store_true", help="probe the running product instead (healthcheck)")
    parser.add_argument("--port", type=int, default=8080, help="port inside the container (default: %(default)s)")
    parser.add_argument("--listen", default="0.0.0.0", help="address to bind (default: %(default)s)")
    parser.add_argument("--workdir", default="/srv/overstap", help="parent of the product's private folder")
    args = parser.parse_args(argv)
    if args.health:
        return health(Path(args.workdir))
    if not args.product:
        parser.error("name a product (or --health)")
    try:
        product = catalog.get(args.product)
    except catalog.UnknownProduct as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    why = product.missing()
    if why:
        print(f"error: {product.name} cannot start in this image: {why}", file=sys.stderr)
        return 2
    password = os.environ.get("OVERSTAP_PASSWORD")
    credentials = Credentials(os.environ.get("OVERSTAP_USERNAME") or "overstap", password) if password else None
    parent = Path(args.workdir)
    parent.mkdir(parents=True, exist_ok=True)
    os.chmod(parent, 0o755)  # servers that drop root to www-data/postgres traverse it
    workdir = parent / product.name
    if workdir.exists() and any(workdir.iterdir()):
        print(f"error: {workdir} is not empty; every start needs a fresh container", file=sys.stderr)
        return 2
    workdir.mkdir(exist_ok=True)
    spec = product.local_spec(workdir, args.port, listen=args.listen, credentials=account(credentials))
    product.prepare_workdir(workdir)
    announcement = {
        "product": product.name,
        "version": product.local_version(),
        "port": args.port,
        "endpoints": {service: _path(url) for service, url in spec.endpoints.items()},
        "probe": _path(spec.probe_url),
        "username": spec.credentials.username if spec.credentials else None,
    }
    (parent / "serve.json").write_text(json.dumps(announcement, sort_keys=True))
    print(ANNOUNCE + json.dumps(announcement, sort_keys=True), flush=True)
    os.chdir(spec.cwd or workdir)
    os.execvpe(spec.argv[0], spec.argv, {**os.environ, **spec.env})
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
