"""Every package's front door: ``__all__`` sorted, complete and importable (STYLE.md, httpx)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import chainsleuth

PACKAGES = sorted(
    m.name
    for m in pkgutil.walk_packages(chainsleuth.__path__, "chainsleuth.")
    if m.ispkg and m.name not in {"chainsleuth.migrations", "chainsleuth.migrations.versions"}
)


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_importable(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported, f"{name} names no public API in __all__"
    assert list(exported) == sorted(exported, key=lambda s: (not s.isupper(), s)), name
    for attr in exported:
        assert hasattr(module, attr), f"{name}.__all__ names {attr}, which it lacks"


def test_every_domain_package_is_checked() -> None:
    assert {"chainsleuth.chain", "chainsleuth.store", "chainsleuth.jobs"} <= set(PACKAGES)
