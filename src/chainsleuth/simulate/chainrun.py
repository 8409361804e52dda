"""The UTXO chain's main loop: bootstrap blocks, then epochs of background and scenario blocks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate.blocks import BlockWriter, TxCols, Written
from chainsleuth.simulate.book import Role
from chainsleuth.simulate.plot import Plot, Spec
from chainsleuth.simulate.population import OUR_EXCHANGE, endowments
from chainsleuth.simulate.state import Sim
from chainsleuth.simulate.traffic import Epoch, payments, payout, plan_epoch, sweep, withdrawal
from chainsleuth.simulate.truth import TxTruth

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
SUBSIDY = 312_500_000  # 3.125 BTC, the era after the 2024 halving
START_TIME = 1_714_521_600  # 2024-05-01 00:00 UTC
BOOTSTRAP_OUTPUTS = 20_000  # coinbase outputs per bootstrap block


@dataclass
class ChainLog:
    """What the exchange records and the ground truth need from the chain, as columns.

    Per-transaction truth goes to disk as blocks are written (:class:`TxTruth`); what stays
    is a flag per address (paid or not) and our exchange's deposits and withdrawals.
    """

    deposits: list[dict[str, npt.NDArray[Any]]] = field(default_factory=list)
    withdrawals: list[dict[str, npt.NDArray[Any]]] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    paid: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, np.bool_))
    blocks: int = 0
    txs: int = 0
    inputs: int = 0
    outputs: int = 0

    def mark_paid(self, addrs: I64, n_addresses: int) -> None:
        if n_addresses > len(self.paid):  # grow by doubling, as the book's columns do
            grown = np.zeros(max(n_addresses, 2 * len(self.paid)), np.bool_)
            grown[: len(self.paid)] = self.paid
            self.paid = grown
        self.paid[addrs] = True

    def used(self) -> I64:
        """Every address an output pays, ascending."""
        return np.flatnonzero(self.paid).astype(np.int64)


def bootstrap_blocks(sim: Sim) -> int:
    """How many blocks the initial coins need (room for 10,000 scenario endowments)."""
    n = 3 * (len(sim.pop.users) + len(sim.pop.merchants)) + 40 * len(sim.pop.exchanges)
    return 1 + (n + 10_000) // BOOTSTRAP_OUTPUTS


class ChainRun:
    """Writes the chain block by block into ``writer``, logging what later stages need."""

    def __init__(
        self, sim: Sim, plot: Plot, writer: BlockWriter, tags: dict[str, int], truth: TxTruth
    ) -> None:
        self.sim, self.plot, self.writer, self.tags = sim, plot, writer, tags
        self.truth = truth
        self.log = ChainLog()
        self.time = START_TIME
        self.coinbase_addr = sim.book.new_addresses(sim.pop.pools, Role.COINBASE)

    def _next_time(self) -> int:
        self.time += max(1, int(self.sim.rng.exponential(600)))
        self.log.times.append(self.time)
        return self.time

    def _add_outputs(
        self, txids: npt.NDArray[np.uint8], txs: TxCols, cb: tuple[I64, I64, I64]
    ) -> None:
        pool, book = self.sim.pool, self.sim.book
        pool.spend(txs.in_rows)
        tx_of = np.concatenate(
            [np.zeros(len(cb[0]), np.int64), 1 + np.repeat(np.arange(len(txs)), txs.nout)]
        )
        nout = np.concatenate([[len(cb[0])], txs.nout])
        vout = np.arange(len(tx_of)) - np.repeat(np.cumsum(nout) - nout, nout)
        addrs = np.concatenate([cb[1], txs.out_addr])
        pool.add(
            txids[tx_of],
            vouts=vout,
            values=np.concatenate([cb[0], txs.out_value]),
            addrs=addrs,
            coins=np.concatenate([cb[2], txs.out_coin]),
            reserved=book.ent_scripted.view[book.addr_owner.view[addrs]],
        )
        self.log.mark_paid(addrs, book.addr_owner.n)
        ours = (book.addr_role.view[addrs] == Role.DEPOSIT) & (
            book.addr_owner.view[addrs] == self.sim.pop.ours
        )
        at = np.flatnonzero(ours)
        self.log.deposits.append(
            {
                "txid": txids[tx_of[at]],
                "vout": vout[at],
                "addr": addrs[at],
                "value": np.concatenate([cb[0], txs.out_value])[at],
                "time": np.full(len(at), self.time),
            }
        )

    def block(
        self, height: int, txs: TxCols, cb_values: I64, cb_addrs: I64, cb_coins: I64
    ) -> Written:
        time = self._next_time()
        written = self.writer.write(height, time, txs, cb_values, cb_addrs)
        self._add_outputs(written.txids, txs, (cb_values, cb_addrs, cb_coins))
        lg = self.log
        lg.blocks += 1
        lg.txs += len(txs) + 1
        lg.inputs += len(txs.in_rows) + 1
        lg.outputs += len(txs.out_value) + len(cb_values) + 1
        self.truth.add(
            written.txids,
            height,
            np.concatenate([[-1], txs.tag]),
            np.concatenate([[-1], txs.change_vout]),
            np.concatenate([[0], written.fees]),
        )
        return written

    def bootstrap(self, n_blocks: int) -> None:
        sim, plot = self.sim, self.plot
        values, addrs = endowments(sim.book, sim.pop, sim.rng)
        coins = np.full(len(values), -1, np.int64)
        if plot.endowed:
            e = np.array(plot.endowed, np.int64)
            values, addrs, coins = (
                np.concatenate([values, e[:, 1]]),
                np.concatenate([addrs, e[:, 0]]),
                np.concatenate([coins, e[:, 2]]),
            )
        for h, part in enumerate(np.array_split(np.arange(len(values)), n_blocks)):
            self.block(h, TxCols.empty(), values[part], addrs[part], coins[part])

    def _specs(self, specs: list[Spec]) -> TxCols:
        if not specs:
            return TxCols.empty()
        rows = self.sim.pool.rows_of(
            np.array([c.handle for s in specs for c in s.inputs], np.int64)
        )
        return TxCols(
            np.array([len(s.inputs) for s in specs]),
            np.array([len(s.outputs) for s in specs]),
            rows,
            np.array([v for s in specs for _, v in s.outputs], np.int64),
            np.array([a for s in specs for a, _ in s.outputs], np.int64),
            np.array([h for s in specs for h in s.handles], np.int64),
            np.array([self.tags.setdefault(s.tag, len(self.tags)) for s in specs]),
            np.array([s.change_vout for s in specs]),
        )

    def _services(
        self, ep: Epoch, k: int, last: bool
    ) -> tuple[list[TxCols], list[tuple[int, I64]]]:
        sim, parts, paid = self.sim, [], []
        for e in range(len(sim.pop.exchanges)):
            if k == 0 and (s := sweep(sim, ep, e)) is not None:
                parts.append(s)
            if (
                last
                and (w := withdrawal(sim, ep, e, max(2, sim.preset.txs_per_block // 10)))
                is not None
            ):
                parts.append(w[0])
                if e == OUR_EXCHANGE:
                    paid.append((len(parts) - 1, w[1]))
        if last:
            parts += [p for pe in sim.pop.pools if (p := payout(sim, ep, int(pe))) is not None]
        return parts, paid

    def epochs(self, first: int, last: int, progress: Callable[[int], None]) -> None:
        p = self.sim.preset
        for start in range(first, last + 1, p.epoch_blocks):
            n = min(p.epoch_blocks, last + 1 - start)
            ep = plan_epoch(self.sim, n, p.txs_per_block)
            for k in range(n):
                self._epoch_block(start + k, ep, k, k == n - 1)
                progress(start + k)
            self.sim.pool.compact(at_least=0.5)  # copying ten million rows every epoch costs

    def _epoch_block(self, height: int, ep: Epoch, k: int, last: bool) -> None:
        services, paid = self._services(ep, k, last)
        parts = [
            payments(self.sim, ep, ep.spenders[k]),
            *services,
            self._specs(self.plot.specs.get(height, [])),
        ]
        txs = TxCols.concat(parts)
        pe = int(self.sim.rng.choice(len(self.sim.pop.pools), p=self.sim.pop.pool_weights))
        fees = int(self.sim.pool.value.view[txs.in_rows].sum() - txs.out_value.sum())
        cb_addr = self.coinbase_addr[pe : pe + 1]
        written = self.block(height, txs, np.array([SUBSIDY + fees]), cb_addr, np.array([-1]))
        self._log_withdrawals(written.txids, parts, paid)

    def _log_withdrawals(self, txids: U8, parts: list[TxCols], paid: list[tuple[int, I64]]) -> None:
        offset = 1 + len(parts[0])  # coinbase, then payments, then services in order
        firsts = np.cumsum([0] + [len(p) for p in parts[1:]])
        for idx, who in paid:
            part = parts[1 + idx]
            at = np.flatnonzero(who >= 0)
            self.log.withdrawals.append(
                {
                    "txid": txids[[offset + firsts[idx]] * len(at)],
                    "vout": at,
                    "customer": who[at],
                    "addr": part.out_addr[at],
                    "value": part.out_value[at],
                    "time": np.full(len(at), self.time),
                }
            )
