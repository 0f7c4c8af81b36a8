"""Building the reference images (``overstap images build``) without any image registry.

1. The Debian base: ``debootstrap --variant=minbase bookworm`` into a temporary folder, Overstap's APT
   sources (``containers/base/debian.sources``) written into it, and the folder imported as
   ``localhost/overstap/debian-base:bookworm`` through the Engine API (Docker's ``/images/create``
   with ``fromSrc``, which Podman serves too). About 45 s; done once, kept until ``--rebuild-base``.
2. One image per product with ``image = True`` in the catalog, from ``containers/<name>.Containerfile``
   (Debian packages) or ``containers/python.Containerfile`` (Python products), built on the base with
   host networking so that APT reaches the Debian mirror. The build context also holds:
   ``overstap/`` (the catalog and its ``_serve`` entry point: the image configures the product exactly
   as a local run does), and for Python products ``requirements.txt`` pinned to the versions installed
   here plus ``wheels/`` built here by pip, so the image build reaches no package index.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Callable

from harness import catalog
from harness.catalog import Product
from harness.providers.containers import IMAGE_REPOSITORY, LABEL_DIGEST, image_tag

ROOT = Path(__file__).resolve().parent.parent
CONTAINERS = ROOT / "containers"
BASE_TAG = f"{IMAGE_REPOSITORY}/debian-base:bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
#: What of Overstap goes into an image: only what the _serve entry point imports.
IMAGE_SOURCES = ("harness/__init__.py", "harness/target.py", "harness/catalog")

Progress = Callable[[str], None]
REFERENCE_LABEL = "org.overstap.image=reference"


#: The catalog files every image's entry point runs (the product's own module and start helper come on top).
DIGEST_COMMON = ("harness/__init__.py", "harness/target.py", "harness/catalog/__init__.py",
                 "harness/catalog/base.py", "harness/catalog/_serve.py")


def catalog_digest(product: Product | str) -> str:
    """SHA-256 (hex, first 16) over the code that configures ``product`` inside its image: :data:`DIGEST_COMMON`
    plus ``harness/catalog/<name>.py`` and ``_<name>_start.py`` where it exists (names and contents). Images
    carry it as the label ``org.overstap.catalog-digest``; the containers provider refuses an image whose
    digest differs from the checkout's, and a change to another product's module leaves the image valid."""
    import hashlib

    name = product if isinstance(product, str) else product.name
    files = [*DIGEST_COMMON, f"harness/catalog/{name}.py", f"harness/catalog/_{name}_start.py"]
    digest = hashlib.sha256()
    for relative in files:
        path = ROOT / relative
        if path.is_file():
            digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


class ImageBuildError(RuntimeError):
    """An image could not be built; the message says which step failed and shows its output's end."""


def products_with_images() -> list[Product]:
    """Every catalog product that has a reference image (``image = True``), in name order."""
    return [p for p in catalog.all_products() if p.image]


def containerfile(product: Product) -> Path:
    """The Containerfile that builds ``product``'s image.

    Raises:
        ImageBuildError: the product has no image or its Containerfile is missing.
    """
    own = CONTAINERS / f"{product.name}.Containerfile"
    if own.exists():
        return own
    if product.image and product.pip_requirements():
        return CONTAINERS / "python.Containerfile"
    raise ImageBuildError(f"{product.name} has no Containerfile in {CONTAINERS}")


def image_exists(client, tag: str) -> bool:
    import docker

    try:
        client.images.get(tag)
        return True
    except docker.errors.ImageNotFound:
        return False


def build_base(client, progress: Progress = print, mirror: str = DEFAULT_MIRROR) -> str:
    """Make the Debian base image with debootstrap and import it; returns its tag.

    Raises:
        ImageBuildError: debootstrap is missing, needs root, or failed; or the engine refused the import.
    """
    if shutil.which("debootstrap") is None:
        raise ImageBuildError("debootstrap not found; install with: apt-get install debootstrap")
    import os

    if os.geteuid() != 0:
        raise ImageBuildError("debootstrap needs root to make the base image; run `overstap images build` as root "
                              "once (later builds reuse the base)")
    with tempfile.TemporaryDirectory(prefix="overstap-base-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        progress(f"base: debootstrap --variant=minbase bookworm ({mirror}), about a minute")
        started = time.monotonic()
        proc = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), mirror],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ImageBuildError(f"debootstrap failed (exit {proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
        sources = rootfs / "etc/apt/sources.list.d/debian.sources"
        shutil.copyfile(CONTAINERS / "base" / "debian.sources", sources)
        (rootfs / "etc/apt/sources.list").unlink(missing_ok=True)
        (rootfs / "etc/apt/apt.conf.d/90overstap").write_text('APT::Install-Recommends "false";\n')
        archive = Path(tmp) / "rootfs.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(rootfs, arcname=".")
        progress(f"base: debootstrap done in {time.monotonic() - started:.0f} s; importing")
        try:
            answer = client.api.import_image(src=str(archive))
        except Exception as exc:
            raise ImageBuildError(f"the engine refused to import the base image: {exc}") from exc
        image_id = _imported_id(answer)
        client.images.get(image_id).tag(BASE_TAG.rsplit(":", 1)[0], BASE_TAG.rsplit(":", 1)[1])
    progress(f"base: {BASE_TAG}")
    return BASE_TAG


def _imported_id(answer) -> str:
    import json

    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            continue
        for key in ("id", "status"):
            value = data.get(key, "")
            if isinstance(value, str) and value.startswith("sha256:"):
                return value
    raise ImageBuildError(f"the engine's answer to the import names no image: {text[:300]}")


def _context(product: Product, folder: Path, progress: Progress) -> None:
    """Fill ``folder`` with the build context of ``product``'s image."""
    shutil.copyfile(containerfile(product), folder / "Containerfile")
    for source in IMAGE_SOURCES:
        src, dst = ROOT / source, folder / "overstap" / source
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
    requirements = product.pip_requirements()
    if requirements:
        (folder / "requirements.txt").write_text("\n".join(requirements) + "\n")
        progress(f"{product.name}: building wheels for {' '.join(requirements)}")
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(folder / "wheels"),
                               "-r", str(folder / "requirements.txt")], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise ImageBuildError(f"{product.name}: pip wheel failed (exit {proc.returncode}):\n"
                                  f"{(proc.stdout + proc.stderr)[-3000:]}")


def build_image(client, product: Product, progress: Progress = print) -> str:
    """Build ``product``'s reference image on the base; returns its tag (see :func:`image_tag`).

    Raises:
        ImageBuildError: the base is missing, the context cannot be made, or a build step failed
            (the message ends with the build's last lines).
    """
    if not image_exists(client, BASE_TAG):
        raise ImageBuildError(f"the base image {BASE_TAG} is missing; `overstap images build` makes it first")
    tag = image_tag(product)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"overstap-image-{product.name}-") as tmp:
        _context(product, Path(tmp), progress)
        progress(f"{product.name}: building {tag} from {containerfile(product).relative_to(ROOT)}")
        lines: list[str] = []
        try:
            for chunk in client.api.build(path=tmp, dockerfile="Containerfile", tag=tag, network_mode="host",
                                          buildargs={"BASE": BASE_TAG, "PRODUCT": product.name,
                                                     "CATALOG_DIGEST": catalog_digest(product)}, rm=True,
                                          decode=True):
                if "stream" in chunk:
                    lines.extend(chunk["stream"].splitlines())
                    for line in chunk["stream"].splitlines():
                        if line.startswith("STEP "):
                            progress(f"{product.name}: {line}")
                if "error" in chunk or "errorDetail" in chunk:
                    detail = chunk.get("error") or chunk["errorDetail"].get("message", "")
                    raise ImageBuildError(f"{product.name}: build failed: {detail}\n" + "\n".join(lines[-30:]))
        except ImageBuildError:
            raise
        except Exception as exc:
            raise ImageBuildError(f"{product.name}: build failed: {exc}\n" + "\n".join(lines[-30:])) from exc
    if not image_exists(client, tag):
        raise ImageBuildError(f"{product.name}: the build ended without an image {tag}:\n" + "\n".join(lines[-30:]))
    progress(f"{product.name}: {tag} built in {time.monotonic() - started:.0f} s")
    _prune_replaced(client, progress)
    return tag


def _prune_replaced(client, progress: Progress) -> None:
    """Remove our own reference images that a rebuild left without a tag (only those: label and dangling)."""
    try:
        answer = client.images.prune(filters={"dangling": True, "label": REFERENCE_LABEL})
    except Exception as exc:  # pruning is housekeeping: never fail a build on it
        progress(f"note: could not remove replaced images ({exc})")
        return
    freed = (answer or {}).get("SpaceReclaimed") or 0
    if freed:
        progress(f"removed replaced reference images ({freed / 1e6:.0f} MB)")


def build(names: list[str], *, rebuild_base: bool = False, mirror: str = DEFAULT_MIRROR,
          progress: Progress = print) -> list[str]:
    """Build the base (when missing or asked) and the named products' images (all with images when empty).

    Returns:
        the tags built, base first when it was built.

    Raises:
        ImageBuildError: a product has no image, or a build failed.
        harness.providers.containers.EngineUnavailable: no engine answers.
        catalog.UnknownProduct: a name is not in the catalog.
    """
    from harness.providers.containers import engine

    products = [catalog.get(n) for n in names] if names else products_with_images()
    for product in products:
        if not product.image:
            have = ", ".join(p.name for p in products_with_images())
            raise ImageBuildError(f"{product.name} has no reference image; products with one: {have}")
    client = engine(timeout_s=1800)
    built = []
    try:
        if rebuild_base or not image_exists(client, BASE_TAG):
            built.append(build_base(client, progress, mirror))
        for product in products:
            built.append(build_image(client, product, progress))
    finally:
        client.close()
    return built


def listing() -> list[dict]:
    """One row per product with a reference image: ``{"product", "tag", "built", "stale", "created", "size_mb"}``;
    ``stale`` when the image was built from another version of the catalog (see :func:`catalog_digest`).

    Raises:
        harness.providers.containers.EngineUnavailable: no engine answers.
    """
    from harness.providers.containers import engine

    client = engine()
    rows = []
    try:
        for product in [None, *products_with_images()]:
            tag = BASE_TAG if product is None else image_tag(product)
            row = {"product": "(base)" if product is None else product.name, "tag": tag, "built": False,
                   "stale": False, "created": "", "size_mb": None}
            if image_exists(client, tag):
                image = client.images.get(tag)
                row.update(built=True, created=str(image.attrs.get("Created", ""))[:19],
                           size_mb=round((image.attrs.get("Size") or 0) / 1e6),
                           stale=product is not None and (image.labels or {}).get(LABEL_DIGEST) != catalog_digest(product))
            rows.append(row)
    finally:
        client.close()
    return rows


__all__ = ["BASE_TAG", "ImageBuildError", "build", "build_base", "build_image", "containerfile", "listing",
           "products_with_images"]


def _cmd_build(args) -> int:
    from harness.providers.containers import EngineUnavailable

    try:
        built = build(args.products, rebuild_base=args.rebuild_base, mirror=args.mirror,
                      progress=lambda line: print(line, flush=True))
    except (ImageBuildError, EngineUnavailable, catalog.UnknownProduct) as exc:
        print(f"overstap images build: {exc}", file=sys.stderr)
        return 2
    print(f"built {len(built)} image(s): {', '.join(built)}")
    return 0


def _cmd_list(args) -> int:
    from harness.providers.containers import EngineUnavailable

    try:
        rows = listing()
    except EngineUnavailable as exc:
        print(f"overstap images list: {exc}", file=sys.stderr)
        return 2
    print(f"{'product':<10} {'built':<5} {'size':>7}  {'created':<19}  tag")
    for row in rows:
        size = f"{row['size_mb']} MB" if row["size_mb"] is not None else "-"
        built = "stale" if row["stale"] else "yes" if row["built"] else "no"
        print(f"{row['product']:<10} {built:<5} {size:>7}  {row['created'] or '-':<19}  "
              f"{row['tag']}")
    return 0


def add_commands(sub) -> None:
    """Add ``overstap images build [PRODUCT...]`` and ``overstap images list`` to the CLI's subcommands."""
    images = sub.add_parser("images", help="build the reference images (no registry needed) or list them",
                            description="Reference images for the containers provider (`--target container:NAME`) "
                                        "and the compose profile `reference`.")
    actions = images.add_subparsers(dest="action", metavar="ACTION", required=True)
    build_p = actions.add_parser(
        "build", help="build the Debian base (debootstrap) and the products' images",
        description="Make the Debian base image with debootstrap (once; needs root), then build each product's "
                    "image from containers/*.Containerfile with the product configured exactly as a local run.",
        epilog="Exit status: 0 built, 2 error (no engine, debootstrap failed, a build step failed).")
    build_p.add_argument("products", nargs="*", metavar="PRODUCT",
                         help=f"products to build (default: all with an image: "
                              f"{', '.join(p.name for p in products_with_images())})")
    build_p.add_argument("--rebuild-base", action="store_true", help="make the Debian base again even if it exists")
    build_p.add_argument("--mirror", default=DEFAULT_MIRROR, help="Debian mirror for debootstrap (default: %(default)s)")
    build_p.set_defaults(func=_cmd_build)
    list_p = actions.add_parser(
        "list", help="which reference images are built here",
        description="One line per reference image: built (yes / no / stale: built from another version of "
                    "Overstap's catalog, which the containers provider refuses; rebuild it), size, creation time, tag.")
    list_p.set_defaults(func=_cmd_list)
