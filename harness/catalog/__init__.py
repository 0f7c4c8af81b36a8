"""The product catalog: one small module per product, loaded by short name.

Like Radicale's plugin loader, :func:`get` imports ``harness.catalog.<name>`` and takes its
``PRODUCT``; :func:`names` lists every module that defines one. Adding a product is adding a module.
"""

from __future__ import annotations

import importlib
import pkgutil

from harness.catalog.base import DeploymentNotReady, LocalSpec, Product, ProductUnavailable

__all__ = ["DeploymentNotReady", "LocalSpec", "Product", "ProductUnavailable", "get", "names", "all_products"]

_NOT_PRODUCTS = {"base"}


class UnknownProduct(KeyError):
    """No catalog module has this name."""

    def __str__(self) -> str:
        return f"unknown product {self.args[0]!r}; known: {', '.join(names())}"


def names() -> list[str]:
    """Short names of every product in the catalog, sorted."""
    return sorted(
        m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in _NOT_PRODUCTS
    )


def get(name: str) -> Product:
    """The :class:`Product` for a short name such as ``"wsgidav"``.

    Raises:
        UnknownProduct: when no catalog module has that name.
    """
    if name not in names():
        raise UnknownProduct(name)
    module = importlib.import_module(f"harness.catalog.{name}")
    return module.PRODUCT


def all_products() -> list[Product]:
    """Every product in the catalog, in name order."""
    return [get(n) for n in names()]
