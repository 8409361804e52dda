"""The account chain's main loop: blocks of background traffic and scenario transactions.

A block prices its transactions (EIP-1559: a base fee that drifts, a tip per transaction),
checks that no sender overdraws (the block's debits against the balances at its start),
numbers nonces, applies the balances and hands columns to the ethereum-etl writer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate.ethetl import EthBlock, EthWriter
from chainsleuth.simulate.ethstate import GWEI, EthState
from chainsleuth.simulate.ethtraffic import (
    EthPop,
    EthTxs,
    payments,
    sweeps,
    withdrawals,
)
from chainsleuth.simulate.state import Sim

I64 = npt.NDArray[np.int64]
SLOT = 12  # seconds between blocks after the Merge
SWEEP_EVERY = 8  # blocks between an exchange's sweep rounds
ETHER_GAS, TOKEN_GAS_NEW, TOKEN_GAS = 21_000, 63_209, 46_109  # USDT transfer() gas used


@dataclass
class EthLog:
    """Counts for the manifest."""

    blocks: int = 0
    txs: int = 0
    token_transfers: int = 0


class EthRun:
    """Writes the account chain block by block; scenario transactions come from ``planned``."""

    def __init__(
        self, sim: Sim, state: EthState, pop: EthPop, writer: EthWriter, start_time: int
    ) -> None:
        self.sim, self.state, self.pop, self.writer = sim, state, pop, writer
        self.rng = np.random.default_rng([sim.seed, 2])
        self.time, self.base_fee = start_time, 12 * GWEI
        self.log = EthLog()

    def run(self, n_blocks: int, planned: dict[int, EthTxs], per_block: int) -> None:
        """Genesis (block 0: the ether allocations, no transactions), then blocks
        1..``n_blocks``."""
        st = self.state
        funded = np.flatnonzero(st.genesis_gwei.view > 0)
        self.writer.genesis(funded, st.genesis_gwei.view[funded])
        st.seen.view[funded] = True
        self._block(0, EthTxs.empty())
        for h in range(1, n_blocks + 1):
            parts = [payments(self.sim, self.state, self.pop, self.rng, per_block)]
            if h % SWEEP_EVERY in (0, 1):
                parts.append(sweeps(self.state, self.pop, h % SWEEP_EVERY))
            parts.append(withdrawals(self.sim, self.pop, self.rng, max(1, per_block // 10)))
            parts.append(planned.get(h, EthTxs.empty()))
            self._block(h, EthTxs.concat(parts))

    def _prices(self, txs: EthTxs) -> tuple[I64, I64, I64]:
        """(gas limit, gas used, tip in wei) per transaction."""
        rng, n = self.rng, len(txs)
        new = self.state.usdt.view[txs.to] == 0
        used = np.where(txs.token == 1, np.where(new, TOKEN_GAS_NEW, TOKEN_GAS), ETHER_GAS)
        limit = np.where(txs.token == 1, rng.integers(65_000, 100_001, n), ETHER_GAS)
        tip = rng.choice([10**7, 10**8, 5 * 10**8, 10**9, 2 * 10**9, 3 * 10**9], n)
        return limit.astype(np.int64), used.astype(np.int64), tip.astype(np.int64)

    def _apply(self, txs: EthTxs, fee: I64) -> None:
        st = self.state
        debit = np.bincount(txs.frm, txs.gwei + fee, minlength=len(st)).astype(np.int64)
        spent = np.bincount(txs.frm, txs.units, minlength=len(st)).astype(np.int64)
        if (debit > st.gwei.view).any() or (spent > st.usdt.view).any():
            raise RuntimeError("a sender overdraws in the simulated account chain")
        st.gwei.view[:] -= debit
        st.usdt.view[:] -= spent
        np.add.at(st.gwei.view, txs.to, txs.gwei)
        np.add.at(st.usdt.view, txs.to, txs.units)

    def _nonces(self, frm: I64) -> I64:
        """Each sender's next nonces, in block order."""
        order = np.argsort(frm, kind="stable")
        sorted_frm = frm[order]
        first = np.searchsorted(sorted_frm, sorted_frm)
        nonce = np.empty(len(frm), np.int64)
        nonce[order] = self.state.nonce.view[sorted_frm] + np.arange(len(frm)) - first
        np.add.at(self.state.nonce.view, frm, 1)
        return nonce

    def _block(self, number: int, txs: EthTxs) -> None:
        limit, used, tip = self._prices(txs)
        drift = self.rng.normal(0, 0.06)
        self.base_fee = int(np.clip(self.base_fee * np.exp(drift), 2 * 10**8, 80 * GWEI))
        price = self.base_fee + tip
        fee = -(-(used * price) // GWEI)  # gwei, rounded up
        self._apply(txs, fee)
        builder = self.pop.builders[self.rng.integers(0, len(self.pop.builders))]
        self.state.gwei.view[builder] += int((used * tip).sum() // GWEI)
        self.time += SLOT * (1 + int(self.rng.random() < 0.01))  # a missed slot now and then
        self.writer.write(
            EthBlock(number, self.time, self.base_fee, int(builder), txs,
                     self._nonces(txs.frm), limit, used, tip)
        )  # fmt: skip
        lg = self.log
        lg.blocks += 1
        lg.txs += len(txs)
        lg.token_transfers += int(txs.token.sum())
        seen = self.state.seen.view
        seen[txs.frm] = seen[txs.to] = True
        if txs.token.any():
            seen[self.pop.token] = True
