"""LibreOffice as a WARM converter: one headless instance kept running by unoserver (PyPI).

unoserver needs the ``uno`` module, which Debian's python3-uno provides for the system Python only,
so the server process is the system Python running unoserver (through ``_unoserver_start.py``, which
loads documents as bare models: with a view, the -nogui LibreOffice 7.4 aborts on spreadsheets and comments), with the
(pure-Python) unoserver package of Overstap's own environment put on its path through a private
folder in the work folder.
It listens for XML-RPC on the target's port; LibreOffice itself listens for UNO on a second free port
and keeps a private profile (``-env:UserInstallation``) inside the work folder. The suite converts
through plain XML-RPC calls (``convert(indata=..., convert_to="odt")``): Overstap needs no ``uno``.

Endpoint: ``{"odf-roundtrip": "http://127.0.0.1:PORT/"}`` (the unoserver XML-RPC URL).
"""

from __future__ import annotations

import importlib.util
import shutil
import socket
import xmlrpc.client
from pathlib import Path

from harness.catalog._office import kinds
from harness.catalog.base import LocalSpec, Product, ProductUnavailable, run_version_command

SYSTEM_PYTHON = "/usr/bin/python3"


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float):
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host):
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


def xmlrpc_proxy(url: str, timeout: float = 120.0) -> xmlrpc.client.ServerProxy:
    """An XML-RPC proxy on a unoserver endpoint whose socket reads time out after ``timeout`` seconds."""
    return xmlrpc.client.ServerProxy(url, allow_none=True, transport=_TimeoutTransport(timeout))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LibreOffice(Product):
    name = "libreoffice"
    title = "LibreOffice (warm, unoserver)"
    capabilities = frozenset({"odf-roundtrip", "ooxml-roundtrip"}) | kinds("text", "spreadsheet", "presentation")
    suites = ("odf",)
    services = ("odf-roundtrip",)
    install_hint = ("apt-get install libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui "
                    "python3-uno && pip install unoserver")
    binaries = ("soffice",)

    def missing(self) -> str | None:
        why = super().missing()
        if why:
            return why
        if importlib.util.find_spec("unoserver") is None:
            return f"the unoserver module is missing; install with: {self.install_hint}"
        if not Path(SYSTEM_PYTHON).exists():
            return f"{SYSTEM_PYTHON} not found (unoserver runs on the system Python, which has uno)"
        return None

    def local_version(self) -> str:
        return run_version_command(["soffice", "--version"], r"LibreOffice ([0-9][0-9.]*)")

    def local_spec(self, workdir: Path, port: int) -> LocalSpec:
        spec = importlib.util.find_spec("unoserver")
        if spec is None or not spec.submodule_search_locations:
            raise ProductUnavailable(f"the unoserver module is missing; install with: {self.install_hint}")
        pylib = workdir / "pylib"
        pylib.mkdir()
        package = Path(list(spec.submodule_search_locations)[0])
        (pylib / "unoserver").symlink_to(package)
        for dist_info in package.parent.glob("unoserver-*.dist-info"):  # unoserver reads its own version
            (pylib / dist_info.name).symlink_to(dist_info)
        (workdir / "tmp").mkdir()
        url = f"http://127.0.0.1:{port}/"

        def ready() -> bool:
            try:
                return "libreoffice_version" in xmlrpc_proxy(url, timeout=2).info()
            except (OSError, xmlrpc.client.Error):
                return False

        return LocalSpec(
            argv=[SYSTEM_PYTHON, str(Path(__file__).with_name("_unoserver_start.py")), "--interface", "127.0.0.1", "--port", str(port),
                  "--uno-interface", "127.0.0.1", "--uno-port", str(_free_port()),
                  "--user-installation", str(workdir / "profile"), "--temp-dir", str(workdir / "tmp"),
                  "--executable", shutil.which("soffice") or "soffice"],
            endpoints={"odf-roundtrip": url},
            probe_url=url,
            # soffice ignores --temp-dir for its own lu*.tmp folders and takes TMPDIR: keep them in the work folder
            env={"PYTHONPATH": str(pylib), "HOME": str(workdir), "TMPDIR": str(workdir / "tmp")},
            ready=ready,
        )


PRODUCT = LibreOffice()
