"""Files on disk: durable writes, the writer lock, and removal of files a crash left.

Every file the store writes is first written under ``STORE/tmp/``, fsynced, then renamed
into place; only the manifest makes it part of the store (see ``docs/store.md``).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from chainsleuth.store.errors import StoreLocked

MANIFEST = "manifest.json"
CATALOG = "catalog.duckdb"
LOCK = "lock"
TMP = "tmp"
CHAINS = "chains"


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def write_json_atomic(path: Path, data: Any) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)
    fsync_dir(path.parent)


ROW_GROUP = 65_536


class Staging:
    """A temp dir mirroring the store; :meth:`publish` fsyncs and renames its files into place."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / TMP / uuid.uuid4().hex
        self.dir.mkdir(parents=True)
        self.files: list[str] = []

    def path(self, rel: str) -> Path:
        p = self.dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(rel)
        return p

    def parquet(self, rel: str, table: pa.Table) -> str:
        # rows sorted by id: row groups this small let a point read skip all but one
        pq.write_table(table, self.path(rel), compression="zstd", row_group_size=ROW_GROUP)
        return rel

    def npy(self, rel: str, array: npt.NDArray[Any]) -> str:
        np.save(self.path(rel), np.ascontiguousarray(array), allow_pickle=False)
        return rel

    def publish(self) -> None:
        for rel in self.files:
            _fsync_file(self.dir / rel)
        parents = set()
        for rel in self.files:
            dest = self.root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            (self.dir / rel).replace(dest)
            parents.add(dest.parent)
        for parent in parents:
            fsync_dir(parent)
        shutil.rmtree(self.dir, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def writer_lock(root: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the store's single-writer lock (``fcntl.flock`` on ``STORE/lock``)."""
    with (root / LOCK).open("a") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            raise StoreLocked(f"{root}: another process is writing this store") from exc
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def remove_unreferenced(root: Path, referenced: Iterable[str]) -> int:
    """Delete files under ``chains/`` the manifest does not name, and ``tmp/``; count them."""
    keep = {root / rel for rel in referenced}
    removed = 0
    shutil.rmtree(root / TMP, ignore_errors=True)
    chains = root / CHAINS
    if not chains.exists():
        return 0
    for path in sorted(chains.rglob("*"), reverse=True):
        if path.is_file() and path not in keep:
            path.unlink()
            removed += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    if removed:
        fsync_dir(chains)
    return removed
