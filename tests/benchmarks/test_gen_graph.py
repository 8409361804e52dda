"""The synthetic UtxoGraph generator keeps the chain's invariants (tiny size, no timings)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from chainsleuth.analysis import NO_ID, Adjacency, UtxoGraph

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # benchmarks/ is a top-level folder, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.gen_graph import MINERS, SUBSIDY, TXS_PER_BLOCK, generate_utxo_graph  # noqa: E402

N_TXS = 30_000


@pytest.fixture(scope="module")
def graph() -> UtxoGraph:
    return generate_utxo_graph(N_TXS, seed=11)


def test_spends_each_earlier_output_once(graph: UtxoGraph) -> None:
    g = graph
    assert g.n_txs == N_TXS
    assert len(np.unique(g.in_prev_out)) == g.n_inputs  # no double spend
    out_tx = g.out_tx()
    in_tx = g.in_tx()
    assert (out_tx[g.in_prev_out] < in_tx).all()  # spends earlier outputs only
    assert np.array_equal(g.out_spent_tx[g.in_prev_out], in_tx.astype(np.uint32))
    assert int((g.out_spent_tx != NO_ID).sum()) == g.n_inputs
    assert np.array_equal(g.in_value, g.out_value[g.in_prev_out])
    assert np.array_equal(g.in_addr, g.out_addr[g.in_prev_out])


def test_values_are_conserved(graph: UtxoGraph) -> None:
    g = graph
    ins = np.add.reduceat(np.append(g.in_value, 0), g.in_start[:-1])
    ins[np.diff(g.in_start) == 0] = 0
    outs = np.add.reduceat(g.out_value, g.out_start[:-1])
    assert (g.out_value >= 0).all() and (g.tx_fee >= 0).all()
    paid = ~g.tx_coinbase
    assert np.array_equal(ins[paid] - outs[paid], g.tx_fee[paid])
    coinbase = np.flatnonzero(g.tx_coinbase)
    assert np.array_equal(coinbase, np.arange(0, N_TXS, TXS_PER_BLOCK))
    assert (outs[coinbase[1:]] == SUBSIDY).all() and (
        g.out_addr[g.out_start[coinbase[1:]]] < MINERS
    ).all()
    unspent = g.out_spent_tx == NO_ID
    assert int(g.out_value[unspent].sum()) + int(g.tx_fee.sum()) == int(outs[coinbase].sum())


def _check_adjacency(adj: Adjacency, ids: np.ndarray, n: int) -> None:
    assert len(adj.indptr) == n + 1 and adj.indptr[0] == 0
    assert (np.diff(adj.indptr) >= 0).all()
    has = ids != NO_ID
    assert adj.indptr[-1] == int(has.sum())
    row_of = np.repeat(np.arange(n), np.diff(adj.indptr))
    assert np.array_equal(ids[adj.indices], row_of.astype(ids.dtype))
    # rows in chain order within each address
    same = row_of[1:] == row_of[:-1]
    assert (np.diff(adj.indices)[same] > 0).all()


def test_indptrs_and_address_adjacency(graph: UtxoGraph) -> None:
    g = graph
    for start, n in ((g.in_start, g.n_inputs), (g.out_start, g.n_outputs)):
        assert start[0] == 0 and start[-1] == n and (np.diff(start) >= 0).all()
    assert (np.diff(g.out_start) >= 1).all()
    _check_adjacency(g.addr_outputs, g.out_addr, g.n_addresses)
    _check_adjacency(g.addr_inputs, g.in_addr, g.n_addresses)
    assert int(g.out_addr.max()) == g.n_addresses - 1


def test_shape_is_heavy_tailed(graph: UtxoGraph) -> None:
    n_in = np.diff(graph.in_start)[~graph.tx_coinbase]
    assert (n_in >= 1).all() and np.isin(n_in, [1, 2]).mean() > 0.85 and n_in.max() >= 20
    n_out = np.diff(graph.out_start)[1:]
    assert n_out.max() <= 3 and (n_out == 2).mean() > 0.6
    received = np.diff(graph.addr_outputs.indptr)
    assert (received > 1).mean() > 0.05 and received.max() > 100  # reused, a few very popular
    assert (np.diff(graph.tx_height) >= 0).all()


def test_deterministic_per_seed() -> None:
    a, b = generate_utxo_graph(3000, seed=5), generate_utxo_graph(3000, seed=5)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, Adjacency):
            assert np.array_equal(x.indices, y.indices), f.name
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y), f.name
    assert not np.array_equal(generate_utxo_graph(3000, seed=6).in_prev_out, a.in_prev_out)
