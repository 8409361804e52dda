"""A synthetic :class:`~chainsleuth.analysis.graph.UtxoGraph` at benchmark scale, built in arrays.

No blocks, no store: the arrays the analyses read, generated directly and vectorised, so
that clustering, tracing and search can be timed on tens of millions of transactions
(10M transactions take seconds and a few GB). Deterministic for a seed.

Shape, after mainnet statistics of recent years (as :mod:`benchmarks.gen_blocks`):

- one coinbase every ``TXS_PER_BLOCK`` transactions, paying the subsidy to one of a few
  mining-pool addresses; transaction 0 is a coinbase with ``PREMINE_OUTPUTS`` outputs
  that seeds the coin supply;
- input counts heavy-tailed: 62 % one, 30 % two, the rest 2 + Zipf(2.2) up to 600;
- 1-3 outputs, mostly 2 (a payment and change at a random position);
- payments go to an existing address with probability ``REUSE`` (popularity heavy-tailed:
  older addresses, like exchanges', are picked far more often), else to a new one; change
  goes back to the first input's address with probability ``CHANGE_TO_SELF``, else to a
  new one;
- values conserved: fee = min(vsize x a log-normal fee rate, inputs), outputs share
  inputs - fee; every input spends an output made in an earlier chunk of work (so an
  earlier transaction) and still unspent, chosen uniformly from the unspent set.

Coins are not grouped into wallets: a transaction's inputs come from random holders, so
multi-input clustering on this graph merges far more than on mainnet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis.graph import NO_ID, Adjacency, UtxoGraph
from chainsleuth.chain.script import ScriptType

I64 = npt.NDArray[np.int64]
U32 = npt.NDArray[np.uint32]

TXS_PER_BLOCK = 2500
START_HEIGHT = 700_000
START_TIME = 1_631_000_000
BLOCK_SECONDS = 600
SUBSIDY = 625_000_000
PREMINE_OUTPUTS = 4096
PREMINE_VALUE = 50 * 10**8
MINERS = 20  # the first addresses; they receive every later coinbase
MAX_CHUNK = 250_000  # transactions generated per vectorised step
MAX_INPUTS = 600
REUSE = 0.3
CHANGE_TO_SELF = 0.15
POPULARITY = 3.0  # rank = n * u**POPULARITY: the first 1 % of addresses get ~21 % of reuse
SEQUENCE = 0xFFFFFFFD
_TYPES = (
    (ScriptType.P2PKH, 0.25),
    (ScriptType.P2SH, 0.17),
    (ScriptType.P2WPKH, 0.42),
    (ScriptType.P2WSH, 0.04),
    (ScriptType.P2TR, 0.12),
)
# address -> script type by a multiplicative hash into 64 slots laid out by weight
_SLOT_EDGES = np.round(np.cumsum([0.0] + [w for _, w in _TYPES]) * 64).astype(np.int64)
_TYPE_SLOTS = np.repeat(np.array([int(t) for t, _ in _TYPES], np.uint8), np.diff(_SLOT_EDGES))


@dataclass
class _Pool:
    """The unspent outputs (row, value, address); taken positions are refilled by new ones."""

    rows: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    values: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    addrs: U32 = field(default_factory=lambda: np.zeros(0, np.uint32))
    size: int = 0
    holes: I64 = field(default_factory=lambda: np.zeros(0, np.int64))

    def take(self, rng: np.random.Generator, k: int) -> tuple[I64, I64, U32]:
        pos = rng.choice(self.size, size=k, replace=False)
        self.holes = np.sort(pos)
        return self.rows[pos], self.values[pos], self.addrs[pos]

    def add(self, rows: I64, values: I64, addrs: U32) -> None:
        filled = min(len(self.holes), len(rows))
        dest = self.holes[:filled]
        self.rows[dest], self.values[dest], self.addrs[dest] = (
            rows[:filled],
            values[:filled],
            addrs[:filled],
        )
        if filled < len(rows):
            self._append(rows[filled:], values[filled:], addrs[filled:])
        else:
            self._close(self.holes[filled:])
        self.holes = np.zeros(0, np.int64)

    def _append(self, rows: I64, values: I64, addrs: U32) -> None:
        end = self.size + len(rows)
        if end > len(self.rows):
            cap = max(2 * len(self.rows), end)
            for name in ("rows", "values", "addrs"):
                old = getattr(self, name)
                grown = np.zeros(cap, old.dtype)
                grown[: self.size] = old[: self.size]
                setattr(self, name, grown)
        self.rows[self.size : end], self.values[self.size : end] = rows, values
        self.addrs[self.size : end] = addrs
        self.size = end

    def _close(self, holes: I64) -> None:
        """Move the last entries into the (sorted) holes that stay inside the new size."""
        new_size = self.size - len(holes)
        tail = np.setdiff1d(np.arange(new_size, self.size), holes, assume_unique=True)
        dest = holes[holes < new_size]
        for arr in (self.rows, self.values, self.addrs):
            arr[dest] = arr[tail]
        self.size = new_size


@dataclass
class _Parts:
    """Per-chunk arrays, concatenated at the end."""

    tx: dict[str, list[npt.NDArray[np.generic]]] = field(default_factory=dict)
    n_addr: int = 0
    n_out: int = 0

    def put(self, **arrays: npt.NDArray[np.generic]) -> None:
        for k, v in arrays.items():
            self.tx.setdefault(k, []).append(v)

    def cat(self, name: str) -> npt.NDArray[np.generic]:
        return np.concatenate(self.tx[name])


def _group_sums(values: I64, counts: I64) -> I64:
    """Sum of each consecutive group of ``counts[i]`` values (exact, empty groups 0)."""
    cs = np.concatenate([[0], np.cumsum(values)])
    ends = np.cumsum(counts)
    out: I64 = cs[ends] - cs[ends - counts]
    return out


def _input_counts(rng: np.random.Generator, n: int) -> I64:
    u = rng.random(n)
    tail = 2 + np.minimum(rng.zipf(2.2, n), MAX_INPUTS - 2)
    out: I64 = np.where(u < 0.62, 1, np.where(u < 0.92, 2, tail)).astype(np.int64)
    return out


def _premine(parts: _Parts, pool: _Pool) -> None:
    rows = np.arange(PREMINE_OUTPUTS, dtype=np.int64)
    values = np.full(PREMINE_OUTPUTS, PREMINE_VALUE, np.int64)
    addrs = rows.astype(np.uint32)
    parts.put(
        n_in=np.zeros(1, np.int64),
        n_out=np.array([PREMINE_OUTPUTS]),
        fee=np.zeros(1, np.int64),
        vsize=np.array([100 + 31 * PREMINE_OUTPUTS]),
        in_prev=np.zeros(0, np.int64),
        in_value=np.zeros(0, np.int64),
        in_addr=np.zeros(0, np.uint32),
        out_value=values,
        out_addr=addrs,
    )
    parts.n_addr = parts.n_out = PREMINE_OUTPUTS
    pool.add(rows, values, addrs)


def _chunk(rng: np.random.Generator, parts: _Parts, pool: _Pool, t0: int, n: int) -> int:
    """Generate transactions ``t0..``; returns how many (inputs must fit half the pool)."""
    n_in = _input_counts(rng, n)
    coinbase = np.arange(t0, t0 + n) % TXS_PER_BLOCK == 0
    n_in[coinbase] = 0
    n = int(np.searchsorted(np.cumsum(n_in), pool.size // 2, "right")) or 1
    n_in, coinbase = n_in[:n], coinbase[:n]
    prev, in_value, in_addr = pool.take(rng, int(n_in.sum()))
    in_sum = _group_sums(in_value, n_in)
    u = rng.random(n)
    n_out = np.where(u < 0.15, 1, np.where(u < 0.90, 2, 3)).astype(np.int64)
    n_out[coinbase] = 1
    vsize = 11 + 68 * n_in + 31 * n_out
    rate = rng.lognormal(np.log(8.0), 1.0, n)
    fee = np.minimum((vsize * rate).astype(np.int64), in_sum)
    total = np.where(coinbase, SUBSIDY, in_sum - fee)
    owner = np.append(in_addr, np.uint32(0))[np.cumsum(n_in) - n_in]  # first input's address
    values, addrs = _outputs(rng, parts, total, n_out, coinbase=coinbase, owner=owner)
    rows = parts.n_out + np.arange(len(values), dtype=np.int64)
    parts.n_out += len(values)
    pool.add(rows, values, addrs)
    parts.put(
        n_in=n_in,
        n_out=n_out,
        fee=fee,
        vsize=vsize,
        in_prev=prev,
        in_value=in_value,
        in_addr=in_addr,
        out_value=values,
        out_addr=addrs,
    )
    return n


def _outputs(
    rng: np.random.Generator,
    parts: _Parts,
    total: I64,
    n_out: I64,
    *,
    coinbase: npt.NDArray[np.bool_],
    owner: U32,
) -> tuple[I64, U32]:
    """Values (summing to ``total`` per tx) and addresses of every output of a chunk."""
    tx = np.repeat(np.arange(len(total)), n_out)
    start = np.cumsum(n_out) - n_out
    change = np.zeros(len(tx), np.bool_)
    has_change = n_out >= 2
    change[(start + rng.integers(0, n_out))[has_change]] = True
    weight = rng.exponential(size=len(tx))
    share = weight / _group_sums_f(weight, n_out)[tx]
    values = np.where(change, 0, np.floor(total[tx] * share).astype(np.int64))
    single = n_out[tx] == 1
    values[single] = total[tx[single]]
    short = total - _group_sums(values, n_out)
    over = short < 0  # float rounding: give everything to the change
    values[over[tx] & ~change & ~single] = 0
    values[change] = (total - _group_sums(values, n_out))[tx[change]]
    return values, _addresses(rng, parts, tx, change, coinbase=coinbase, owner=owner)


def _group_sums_f(values: npt.NDArray[np.float64], counts: I64) -> npt.NDArray[np.float64]:
    cs = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.cumsum(counts)
    out: npt.NDArray[np.float64] = cs[ends] - cs[ends - counts]
    return out


def _addresses(
    rng: np.random.Generator,
    parts: _Parts,
    tx: I64,
    change: npt.NDArray[np.bool_],
    *,
    coinbase: npt.NDArray[np.bool_],
    owner: U32,
) -> U32:
    m = len(tx)
    u = rng.random(m)
    addrs = np.zeros(m, np.int64)
    cb = coinbase[tx]
    addrs[cb] = np.floor(MINERS * rng.random(int(cb.sum())) ** 2)
    reuse = ~cb & ~change & (u < REUSE)
    addrs[reuse] = np.floor(parts.n_addr * rng.random(int(reuse.sum())) ** POPULARITY)
    to_self = change & (u < CHANGE_TO_SELF)
    addrs[to_self] = owner[tx[to_self]]
    fresh = ~(cb | reuse | to_self)
    addrs[fresh] = parts.n_addr + np.arange(int(fresh.sum()))
    parts.n_addr += int(fresh.sum())
    return addrs.astype(np.uint32)


def _adjacency(ids: U32, n: int) -> Adjacency:
    rows = np.flatnonzero(ids != NO_ID)
    keys = ids[rows]
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=n), out=indptr[1:])
    return Adjacency(indptr, rows[np.argsort(keys, kind="stable")])


def generate_utxo_graph(n_txs: int, *, seed: int = 7) -> UtxoGraph:
    """``n_txs`` transactions of the shape above; the same arrays for the same seed."""
    rng = np.random.default_rng(seed)
    parts, pool = _Parts(), _Pool()
    _premine(parts, pool)
    t = 1
    while t < n_txs:
        t += _chunk(rng, parts, pool, t, min(MAX_CHUNK, n_txs - t, max(pool.size // 4, 1)))
    return _assemble(parts, n_txs)


def _assemble(parts: _Parts, n_txs: int) -> UtxoGraph:
    n_in, n_out = parts.cat("n_in").astype(np.int64), parts.cat("n_out").astype(np.int64)
    in_prev = parts.cat("in_prev").astype(np.int64)
    out_addr, in_addr = parts.cat("out_addr").astype(np.uint32), parts.cat("in_addr")
    spent = np.full(int(n_out.sum()), NO_ID, np.uint32)
    spent[in_prev] = np.repeat(np.arange(n_txs, dtype=np.uint32), n_in)
    height = START_HEIGHT + np.arange(n_txs, dtype=np.int64) // TXS_PER_BLOCK
    return UtxoGraph(
        n_addresses=parts.n_addr,
        tx_height=height.astype(np.int32),
        tx_time=START_TIME + (height - START_HEIGHT) * BLOCK_SECONDS,
        tx_version=np.full(n_txs, 2, np.int32),
        tx_locktime=np.zeros(n_txs, np.uint32),
        tx_vsize=parts.cat("vsize").astype(np.int32),
        tx_fee=parts.cat("fee").astype(np.int64),
        tx_coinbase=n_in == 0,
        in_start=np.concatenate([[0], np.cumsum(n_in)]).astype(np.int64),
        in_prev_out=in_prev,
        in_value=parts.cat("in_value").astype(np.int64),
        in_addr=in_addr.astype(np.uint32),
        in_sequence=np.full(len(in_prev), SEQUENCE, np.uint32),
        out_start=np.concatenate([[0], np.cumsum(n_out)]).astype(np.int64),
        out_value=parts.cat("out_value").astype(np.int64),
        out_addr=out_addr,
        out_type=_TYPE_SLOTS[(out_addr.astype(np.uint64) * np.uint64(0x9E3779B1) >> 7) % 64],
        out_spent_tx=spent,
        addr_outputs=_adjacency(out_addr, parts.n_addr),
        addr_inputs=_adjacency(in_addr.astype(np.uint32), parts.n_addr),
    )
