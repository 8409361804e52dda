"""Per-batch arrays in id order, read across batches as one array (memory-mapped).

Each committed batch has a directory of ``.npy`` files (see ``docs/store.md``): the key
bytes of the ids it assigned and, for UTXO chains, BlockSci-style per-output arrays
(``out_value``, ``out_addr``) and per-transaction ``tx_out_start``/``tx_out_count``.
Global id ``i`` lives in the batch whose base is the largest one ``<= i``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.store.keys import I64, U8
from chainsleuth.store.manifest import BatchRecord

Arr = npt.NDArray[Any]


class Stacked:
    """A read-only array stacked from pieces with ascending global bases.

    Committed pieces are given as paths and memory-mapped on first use: a look-up touches
    one or two batches, and mapping every batch of a full chain would take seconds.
    """

    def __init__(self) -> None:
        self.bases: list[int] = []
        self._pieces: list[Arr | Path] = []

    def append(self, base: int, piece: Arr | Path) -> None:
        self.bases.append(base)
        self._pieces.append(piece)

    def piece(self, i: int) -> Arr:
        p = self._pieces[i]
        if isinstance(p, Path):
            p = self._pieces[i] = _load(p)
        return p

    def take(self, idx: I64, dtype: npt.DTypeLike) -> Arr:
        out = np.zeros(len(idx), dtype)
        if not len(idx):
            return out
        seg = np.searchsorted(np.asarray(self.bases, np.int64), idx, "right") - 1
        for s in np.unique(seg):
            mask = seg == s
            out[mask] = self.piece(int(s))[idx[mask] - self.bases[int(s)]]
        return out


class KeyPieces:
    """Key bytes by id, for verifying id-map hits: a data and an offsets array per piece."""

    def __init__(self) -> None:
        self.data = Stacked()
        self.offsets = Stacked()

    @property
    def bases(self) -> list[int]:
        return self.data.bases

    def append(self, base: int, data: U8 | Path, offsets: I64 | Path) -> None:
        self.data.append(base, data)
        self.offsets.append(base, offsets)

    def piece(self, i: int) -> tuple[U8, I64]:
        return self.data.piece(i), self.offsets.piece(i)


def _load(path: Path) -> Arr:
    arr: Arr = np.load(path, mmap_mode="r", allow_pickle=False)
    return arr


class Segments:
    """All array pieces of one chain: committed batches plus the batch being built."""

    def __init__(self) -> None:
        self.tx_keys = KeyPieces()
        self.addr_keys = KeyPieces()
        self.tx_out_start = Stacked()
        self.tx_out_count = Stacked()
        self.out_value = Stacked()
        self.out_addr = Stacked()

    @classmethod
    def open(cls, chain_dir: Path, batches: list[BatchRecord], utxo: bool) -> Segments:
        seg = cls()
        for b in batches:
            d = chain_dir / b["files"]["arrays"]
            seg.add(b["base"], {name: d / f"{name}.npy" for name in _names(utxo)})
        return seg

    def add(
        self, base: Mapping[str, int], arrays: Mapping[str, Arr | Path], keys: bool = True
    ) -> None:
        """Register a batch's arrays (``keys=False``: the id maps already hold its keys)."""
        if keys:
            self.tx_keys.append(base["txs"], arrays["txkeys.data"], arrays["txkeys.off"])
            self.addr_keys.append(
                base["addresses"], arrays["addrkeys.data"], arrays["addrkeys.off"]
            )
        if "out_value" in arrays:
            self.tx_out_start.append(base["txs"], arrays["tx_out_start"])
            self.tx_out_count.append(base["txs"], arrays["tx_out_count"])
            self.out_value.append(base["outputs"], arrays["out_value"])
            self.out_addr.append(base["outputs"], arrays["out_addr"])


def _names(utxo: bool) -> tuple[str, ...]:
    keys = ("txkeys.data", "txkeys.off", "addrkeys.data", "addrkeys.off")
    if not utxo:
        return keys
    return (*keys, "tx_out_start", "tx_out_count", "out_value", "out_addr")
