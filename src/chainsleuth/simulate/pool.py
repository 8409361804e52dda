"""The unspent outputs of the simulated chain, as columns, and the coins scenarios hold.

Background traffic spends owners' outputs grouped per epoch (:meth:`Pool.groups`);
outputs of scripted entities are *reserved*: only the scenario that planned them spends
them, through coin handles that survive compaction.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate.book import Growable

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


class Pool:
    """Unspent outputs: txid, vout, value, address, reserved flag, and the coin it is."""

    def __init__(self) -> None:
        self.txid = np.zeros((1024, 32), np.uint8)
        self.vout = Growable(np.int64)
        self.value = Growable(np.int64)
        self.addr = Growable(np.int64)
        self.alive = Growable(np.bool_)
        self.reserved = Growable(np.bool_)
        self.coin = Growable(np.int64)  # scenario coin handle, -1 for background outputs
        self.coin_at = Growable(np.int64)  # coin handle -> pool row, -1 until created

    def __len__(self) -> int:
        return self.vout.n

    def add(
        self,
        txids: U8,
        *,
        vouts: I64,
        values: I64,
        addrs: I64,
        coins: I64,
        reserved: npt.NDArray[np.bool_],
    ) -> None:
        """Append outputs; ``txids`` is ``(n, 32)``; ``coins`` -1 where no scenario handle."""
        rows = self.vout.extend(vouts)
        while self.vout.n > len(self.txid):
            self.txid = np.concatenate([self.txid, np.zeros_like(self.txid)])
        self.txid[rows] = txids
        self.value.extend(values)
        self.addr.extend(addrs)
        self.alive.extend(np.ones(len(rows), np.bool_))
        self.reserved.extend(reserved)
        self.coin.extend(coins)
        has = coins >= 0
        self.coin_at.view[coins[has]] = rows[has]

    def new_coins(self, n: int) -> I64:
        """Handles for ``n`` outputs a scenario plans; bound to rows when they are written."""
        return self.coin_at.extend(np.full(n, -1, np.int64))

    def rows_of(self, coins: I64) -> I64:
        """Pool rows of coin handles; raises if a coin is not (yet, or any more) unspent."""
        rows = self.coin_at.view[coins]
        if (rows < 0).any() or not self.alive.view[rows].all():
            raise RuntimeError("a scenario spends a coin that is not unspent")
        return rows

    def spend(self, rows: I64) -> None:
        alive = self.alive.view
        if not alive[rows].all() or len(np.unique(rows)) != len(rows):
            raise RuntimeError("double spend in the simulated chain")
        alive[rows] = False

    def compact(self, *, at_least: float = 0.0) -> None:
        """Drop spent rows once they are ``at_least`` this share of all; coin handles follow
        their rows. Row order is kept, so when compaction runs does not change the chain."""
        alive = self.alive.view
        if len(alive) == 0 or (len(alive) - np.count_nonzero(alive)) < at_least * len(alive):
            return
        keep = np.flatnonzero(alive)
        remap = np.full(len(self), -1, np.int64)
        remap[keep] = np.arange(len(keep))
        txid = self.txid[keep]
        cols = [self.vout, self.value, self.addr, self.alive, self.reserved, self.coin]
        kept = [c.view[keep].copy() for c in cols]
        for c, k in zip(cols, kept, strict=True):
            c.n = 0
            c.extend(k)
        self.txid = np.zeros((max(1024, 2 * len(keep)), 32), np.uint8)
        self.txid[: len(keep)] = txid
        at = self.coin_at.view
        bound = at >= 0
        at[bound] = remap[at[bound]]

    def groups(self, key: I64) -> tuple[I64, I64, I64]:
        """Alive, unreserved rows sorted by ``key`` (one per row): (rows, group keys, starts).

        Within a group, rows keep pool order: oldest first, as coin selection often does.
        """
        rows = np.flatnonzero(self.alive.view & ~self.reserved.view)
        order = np.argsort(key[rows], kind="stable")
        rows = rows[order]
        keys, starts = np.unique(key[rows], return_index=True)
        return rows, keys, np.append(starts, len(rows)).astype(np.int64)
