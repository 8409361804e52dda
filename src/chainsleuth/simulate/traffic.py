"""Background traffic, vectorised: wallet payments, exchange sweeps and withdrawals, pool payouts.

Each epoch groups the unspent outputs by (owner, wallet part) once; an owner's wallet then
spends at most once in the epoch, taking its oldest outputs as inputs, so whole blocks of
payments are built with array operations and never double-spend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate._txwrite import INPUT_VBYTES
from chainsleuth.simulate.blocks import TxCols
from chainsleuth.simulate.book import Book, EntityKind, Role
from chainsleuth.simulate.population import Population
from chainsleuth.simulate.state import Sim

I64 = npt.NDArray[np.int64]
DUST = 546
# Wallet part of an address role: 0 wallet (receive + change), 1 deposit, 2 hot, 3 coinbase.
_PART = np.array([0, 0, 1, 2, 3], np.int64)
TAG_PAYMENT, TAG_SWEEP, TAG_WITHDRAWAL, TAG_PAYOUT = 0, 1, 2, 3
BACKGROUND_TAGS = ("payment", "sweep", "withdrawal", "pool_payout")


@dataclass
class Epoch:
    rows: I64  # pool rows grouped by (owner, part)
    keys: I64  # owner * 4 + part of each group
    starts: I64  # group g is rows[starts[g]:starts[g + 1]]
    spenders: list[I64]  # per block of the epoch: the wallet groups that pay

    def group(self, owner: int, part: int) -> I64:
        g = np.searchsorted(self.keys, owner * 4 + part)
        if g == len(self.keys) or self.keys[g] != owner * 4 + part:
            return np.zeros(0, np.int64)
        return self.rows[self.starts[g] : self.starts[g + 1]]


def plan_epoch(sim: Sim, blocks: int, per_block: int) -> Epoch:
    """Group the spendable outputs and deal the paying wallets out to the epoch's blocks."""
    book, pool = sim.book, sim.pool
    owner = book.addr_owner.view[pool.addr.view].astype(np.int64)
    key = owner * 4 + _PART[book.addr_role.view[pool.addr.view]]
    rows, keys, starts = pool.groups(key)
    kinds = book.ent_kind.view[keys // 4]
    payers = np.flatnonzero(
        (keys % 4 == 0) & ((kinds == EntityKind.USER) | (kinds == EntityKind.MERCHANT))
    )
    payers = sim.rng.permutation(payers)[: blocks * per_block]
    return Epoch(rows, keys, starts, np.array_split(payers, blocks))


def _fee(rng: np.random.Generator, in_vbytes: I64, nout: I64) -> I64:
    """Fee at a lognormal fee rate (sat/vB), as a fee market of quiet and busy hours gives."""
    rate = np.maximum(1, rng.lognormal(np.log(6.0), 0.9, len(nout))).astype(np.int64)
    return rate * (11 + in_vbytes + 31 * nout)


def amounts(rng: np.random.Generator, n: int, median: float = 400_000) -> I64:
    """Payment sizes: lognormal; a third rounded to two significant digits (0.0025 BTC...)."""
    v = rng.lognormal(np.log(median), 1.7, n).astype(np.int64) + DUST
    unit = 10 ** np.maximum(0, np.floor(np.log10(v)).astype(np.int64) - 1)
    rounded = rng.random(n) < 0.35
    v[rounded] = np.maximum(
        unit[rounded], (v[rounded] + unit[rounded] // 2) // unit[rounded] * unit[rounded]
    )
    return v


def _input_counts(rng: np.random.Generator, n: int) -> I64:
    u = rng.random(n)
    tail = np.minimum(60, (10 * (1 - rng.random(n)) ** (-1 / 1.3)).astype(np.int64))
    return np.where(
        u < 0.62, 1, np.where(u < 0.89, 2, np.where(u < 0.99, rng.integers(3, 10, n), tail))
    )


def _gather(ep: Epoch, groups: I64, want: I64) -> tuple[I64, I64]:
    """(inputs per tx, pool rows): each group's oldest ``want`` rows."""
    size = ep.starts[groups + 1] - ep.starts[groups]
    nin = np.minimum(want, size)
    offs = np.arange(nin.sum()) - np.repeat(np.cumsum(nin) - nin, nin)
    return nin, ep.rows[np.repeat(ep.starts[groups], nin) + offs]


def _recipients(book: Book, pop: Population, payer: I64, rng: np.random.Generator) -> I64:
    """Where each payment goes: a person, a merchant, the payer's or someone's exchange deposit."""
    n = len(payer)
    u = rng.random(n)
    people = np.concatenate([pop.users, pop.merchants])
    peer = people[rng.integers(0, len(people), n)]
    shop = pop.merchants[rng.integers(0, len(pop.merchants), n)]
    ent = np.where(u < 0.6, shop, peer)
    ent = np.where(u < 0.4, peer, ent)
    addr = book.receive(ent, rng)
    own = pop.deposit[payer]
    theirs = pop.deposit[peer]
    addr = np.where((u >= 0.6) & (u < 0.9) & (own >= 0), own, addr)
    return np.where((u >= 0.9) & (theirs >= 0), theirs, addr)


def _layout(
    nout_pay: I64, has_change: npt.NDArray[np.bool_], rng: np.random.Generator
) -> tuple[I64, I64, I64]:
    """(outputs per tx, change vout or -1, per output: index of its payment or -1 for change)."""
    nout = nout_pay + has_change
    n = len(nout)
    shuffled = rng.random(n) < 0.6  # most wallets randomise the change position (BIP69 or random)
    pos = np.where(shuffled, (rng.random(n) * nout).astype(np.int64), nout - 1)
    pos = np.where(has_change, pos, -1)
    tx = np.repeat(np.arange(n), nout)
    j = np.arange(nout.sum()) - np.repeat(np.cumsum(nout) - nout, nout)
    pay_first = np.cumsum(nout_pay) - nout_pay
    pay = pay_first[tx] + j - ((pos[tx] >= 0) & (j > pos[tx]))
    pay[j == pos[tx]] = -1
    return nout, pos, pay


def payments(sim: Sim, ep: Epoch, groups: I64) -> TxCols:
    """One wallet payment per group: 1-5 payments and usually change, fee from the market."""
    book, pool, rng = sim.book, sim.pool, sim.rng
    n = len(groups)
    payer = ep.keys[groups] // 4
    nin, rows = _gather(ep, groups, _input_counts(rng, n))
    first_in = np.cumsum(nin) - nin
    total = np.add.reduceat(pool.value.view[rows], first_in)
    in_kind = book.addr_kind.view[pool.addr.view[rows]]
    npay = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.8, 0.12, 0.04, 0.02, 0.02])
    fee = np.minimum(
        _fee(rng, np.add.reduceat(INPUT_VBYTES[in_kind], first_in), npay + 1), total // 4
    )
    pays = amounts(rng, int(npay.sum()))
    tx_of_pay = np.repeat(np.arange(n), npay)
    avail = total - fee
    short = np.add.reduceat(pays, np.cumsum(npay) - npay) + DUST > avail
    first_slot = np.arange(len(pays)) == np.repeat(np.cumsum(npay) - npay, npay)
    keep = ~short[tx_of_pay] | first_slot
    pays = np.where(short[tx_of_pay], avail[tx_of_pay], pays)[keep]
    npay = np.where(short, 1, npay)
    change = avail - np.add.reduceat(pays, np.cumsum(npay) - npay)
    has_change = change >= DUST
    nout, pos, pay = _layout(npay, has_change, rng)
    reuse = rng.random(n) < book.ent_reuse.view[payer]
    change_addr = np.where(reuse, pool.addr.view[rows[first_in]], -1)
    fresh = np.flatnonzero(~reuse & has_change)
    change_addr[fresh] = book.new_addresses(payer[fresh], Role.CHANGE)
    to = _recipients(book, sim.pop, payer[np.repeat(np.arange(n), npay)], rng)
    tx = np.repeat(np.arange(n), nout)
    value = np.where(pay >= 0, pays[pay], change[tx])
    addr = np.where(pay >= 0, to[pay], change_addr[tx])
    return TxCols(
        nin,
        nout,
        rows,
        value,
        addr,
        np.full(len(value), -1, np.int64),
        np.full(n, TAG_PAYMENT, np.int64),
        pos,
    )


def _one(rows: I64, values: I64, addrs: I64, tag: int, change_vout: int) -> TxCols:
    return TxCols(
        np.array([len(rows)]), np.array([len(values)]), rows, values.astype(np.int64), addrs,
        np.full(len(values), -1, np.int64), np.array([tag]), np.array([change_vout]),
    )  # fmt: skip


def _spendable(sim: Sim, rows: I64, nout: int) -> tuple[int, int]:
    """(total in, fee) of a service transaction spending ``rows`` into ``nout`` outputs."""
    in_vb = INPUT_VBYTES[sim.book.addr_kind.view[sim.pool.addr.view[rows]]].sum()
    total = int(sim.pool.value.view[rows].sum())
    return total, int(min(_fee(sim.rng, np.array([in_vb]), np.array([nout]))[0], total // 10))


def sweep(sim: Sim, ep: Epoch, exchange: int) -> TxCols | None:
    """An exchange moves its deposit addresses' coins to its hot wallet (a consolidation)."""
    rows = ep.group(int(sim.pop.exchanges[exchange]), 1)[:300]
    if not len(rows):
        return None
    total, fee = _spendable(sim, rows, 1)
    hot = sim.pop.hot[exchange : exchange + 1]
    return _one(rows, np.array([total - fee]), hot, TAG_SWEEP, -1)


def withdrawal(sim: Sim, ep: Epoch, exchange: int, size: int) -> tuple[TxCols, I64] | None:
    """A batched withdrawal from the hot wallet to customers; also, per output, the customer."""
    book, rng, pop = sim.book, sim.rng, sim.pop
    rows = ep.group(int(pop.exchanges[exchange]), 2)[:60]
    customers = pop.customers[exchange]
    if not len(rows) or not len(customers):
        return None
    who = customers[rng.integers(0, len(customers), max(1, size))]
    total, fee = _spendable(sim, rows, len(who) + 1)
    pays = amounts(rng, len(who), 2_000_000)
    budget = (total - fee) * 9 // 10
    pays = pays[np.cumsum(pays) <= budget]
    if not len(pays):
        return None
    who = who[: len(pays)]
    values = np.append(pays, total - fee - pays.sum())
    addrs = np.append(book.receive(who, rng), pop.hot[exchange])
    cols = _one(rows, values, addrs, TAG_WITHDRAWAL, len(pays))
    return cols, np.append(who, -1)


def payout(sim: Sim, ep: Epoch, pool_entity: int) -> TxCols | None:
    """A mining pool pays its coinbase rewards out to miners, pro rata (no change)."""
    rng, miners = sim.rng, sim.pop.users
    rows = ep.group(pool_entity, 3)[:50]
    if not len(rows):
        return None
    who = miners[rng.integers(0, len(miners), int(rng.integers(5, 26)))]
    total, fee = _spendable(sim, rows, len(who))
    shares = rng.dirichlet(np.ones(len(who)))
    values = np.maximum(DUST, (shares * (total - fee - DUST * len(who))).astype(np.int64))
    values[-1] = total - fee - values[:-1].sum()
    return _one(rows, values, sim.book.receive(who, rng), TAG_PAYOUT, -1)
