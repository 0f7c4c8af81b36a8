"""Resolving target names to providers, and keeping the targets of one run.

A name on the command line (``--target NAME``) is either a target id from the targets file
(remote provider), a catalog product name (local provider), or ``container:PRODUCT`` (containers
provider: the product's reference image, target id ``PRODUCT-container``). ``all`` means every
product that can be started here as a local process.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness import catalog
from harness.providers.containers import ContainerTarget
from harness.providers.local import LocalTarget, TargetStartError
from harness.providers.remote import RemoteEntry, RemoteTarget, load_targets_file, TargetsFileError
from harness.target import Target

__all__ = ["TargetPool", "Planned", "TargetStartError", "TargetsFileError", "plan_targets"]


CONTAINER_PREFIX = "container:"


@dataclass
class Planned:
    """A target chosen for a run but not yet started.

    ``suites`` are the suites that apply; ``unavailable`` says why a local product cannot start here;
    ``name`` is the ``--target`` name that plans it again (in a child process), default the id.
    """

    id: str
    product: str
    provider: str
    capabilities: frozenset[str]
    suites: tuple[str, ...]
    remote: RemoteEntry | None = None
    unavailable: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        self.name = self.name or self.id

    def to_report(self, version: str = "unknown") -> dict:
        return {"id": self.id, "product": self.product, "version": version, "provider": self.provider,
                "capabilities": sorted(self.capabilities)}


def plan_targets(names: list[str], targets_file: str | None = None) -> list[Planned]:
    """Resolve target names (and a targets file) into planned targets, in a stable order.

    With no names, every remote entry of the targets file is planned, or, without a targets file,
    every local product (``all``).

    Raises:
        TargetsFileError: the targets file is invalid.
        catalog.UnknownProduct: a name is neither a targets-file id nor a product.
    """
    remote = {e.id: e for e in load_targets_file(targets_file)} if targets_file else {}
    if not names:
        names = list(remote) if remote else ["all"]
    planned: list[Planned] = []
    for name in names:
        if name in remote:
            e = remote[name]
            why = None
            if e.provider == "container":
                from harness.providers.containers import unavailable

                why = unavailable(None)
            planned.append(Planned(e.id, e.product, e.provider, e.capabilities, e.suites, remote=e, unavailable=why))
        elif name.startswith(CONTAINER_PREFIX):
            from harness.providers.containers import unavailable

            product = catalog.get(name[len(CONTAINER_PREFIX):])
            why = unavailable(product)
            planned.append(Planned(f"{product.name}-container", product.name, "container", product.capabilities,
                                   product.suites, unavailable=why, name=name))
        elif name == "all":
            for product in catalog.all_products():
                if product.local:
                    planned.append(Planned(product.name, product.name, "local", product.capabilities,
                                           product.suites, unavailable=product.missing()))
        else:
            try:
                product = catalog.get(name)
            except catalog.UnknownProduct:
                if remote:
                    raise TargetsFileError(f"--target {name}: neither a target id in {targets_file} "
                                           f"({', '.join(remote)}) nor a product ({', '.join(catalog.names())})") from None
                raise
            planned.append(Planned(product.name, product.name, "local", product.capabilities, product.suites,
                                   unavailable=product.missing()))
    unique: dict[str, Planned] = {}
    for p in planned:
        unique.setdefault(p.id, p)
    return list(unique.values())


class TargetPool:
    """The targets of one pytest session: started on first use, each at most once, all stopped at the end.

    A start failure is remembered and raised again for every later check on that target, so each
    of its checks ends in ERROR with the same reason while the other targets go on.
    """

    def __init__(self, planned: list[Planned]):
        self.planned = {p.id: p for p in planned}
        self._running: dict[str, LocalTarget | RemoteTarget | ContainerTarget] = {}
        self._targets: dict[str, Target] = {}
        self._failures: dict[str, Exception] = {}

    def ids(self) -> list[str]:
        return list(self.planned)

    def start(self, target_id: str) -> Target:
        """The running target ``target_id``, started now if needed.

        Raises:
            TargetStartError, TargetsFileError, catalog.ProductUnavailable: the target cannot be used.
        """
        if target_id in self._targets:
            return self._targets[target_id]
        if target_id in self._failures:
            raise self._failures[target_id]
        p = self.planned[target_id]
        try:
            if p.unavailable:
                raise catalog.ProductUnavailable(p.unavailable)
            if p.provider == "container":
                provider = ContainerTarget(catalog.get(p.product), p.id, entry=p.remote)
            elif p.remote:
                provider = RemoteTarget(p.remote)
            else:
                provider = LocalTarget(catalog.get(p.product), p.id)
            self._running[target_id] = provider
            target = provider.start()
        except Exception as exc:  # any start failure becomes the reason for this target's ERRORs
            self._failures[target_id] = exc
            raise
        except BaseException:  # the check alarm (or Ctrl-C) during a start: later checks must not start it again
            self._failures[target_id] = TargetStartError(f"target {target_id} did not come up within the time a "
                                                         "start is allowed")
            raise
        self._targets[target_id] = target
        return target

    def log_tail(self, target_id: str) -> str:
        provider = self._running.get(target_id)
        return provider.log_tail() if provider else ""

    def secrets(self) -> list[str]:
        """Every secret of every target, started or not: a provider that knows its secrets before its start
        (``provider.secrets``) has them redacted from a failed start's message and log as well."""
        out = [s for t in self._targets.values() for s in t.secrets]
        out += [s for provider in self._running.values() for s in getattr(provider, "secrets", [])]
        return list(dict.fromkeys(s for s in out if s))

    def report_entries(self) -> list[dict]:
        """``targets[]`` entries of report.json for every planned target (started or not)."""
        out = []
        for target_id, p in self.planned.items():
            if target_id in self._targets:
                out.append(self._targets[target_id].to_report())
            else:
                entry = p.to_report()
                failure = self._failures.get(target_id)
                if failure is not None:
                    entry["error"] = str(failure)
                out.append(entry)
        return out

    def stop_all(self) -> None:
        """Stop every target that was started (local: process and folder gone; container: removed with its volumes)."""
        for provider in self._running.values():
            provider.stop()
        self._running.clear()
