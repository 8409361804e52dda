"""Exact (integer) account traces: equal to float64 below 2**53, exact far beyond it."""

from __future__ import annotations

import random
from collections import defaultdict
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from tests.analysis.test_taint_account import _graph as small_graph
from tests.conftest import DATA

from chainsleuth.analysis import NO_ID, Start, Trace, account_graph_from_rows, trace
from chainsleuth.analysis.graph import AccountGraph
from chainsleuth.chain.readers import read_ethereum_etl
from chainsleuth.errors import Invalid
from chainsleuth.store import open_store

NO = int(NO_ID)
MODELS = ("poison", "haircut", "fifo", "lifo")
BIG = 10**24  # a million ether in wei, 2**79.7
USDT = "0xdac17f958d2ee523a2206206994597c13d831ec7"


def _plain(tr: Trace) -> dict[str, Any]:
    doc = tr.to_json()
    doc.pop("exact")
    return doc


def _amounts(tr: Trace) -> list[Any]:
    rows = tr.by_address.rows()
    return [
        tr.start_taint,
        *tr.ended.values(),
        *tr.item_taint,
        *tr.item_value,
        *(r[k] for r in rows for k in ("received", "held")),
    ]


def _conserved(tr: Trace, *, transfer: bool = True) -> None:
    """start = Σ held + Σ origin + Σ stopped, and per address held = received − sent
    (the start transfer is not sent by anyone in the trace)."""
    assert tr.exact and all(type(x) is int for x in _amounts(tr))
    assert sum(tr.ended.values()) == tr.start_taint
    payer = tr.item_addr if tr.direction == "backward" else tr.item_src
    skip = 1 if transfer else 0
    sent: dict[int, int] = defaultdict(int)
    for a, t in zip(payer[skip:].tolist(), tr.item_taint[skip:], strict=True):
        sent[a] += t
    for r in tr.by_address.rows():
        assert r["held"] == r["received"] - sent[r["id"]], r


def _close(exact: Trace, flt: Trace) -> None:
    """Every amount within one unit per transfer of the float64 figure."""
    fl = {r["id"]: (r["received"], r["held"]) for r in flt.by_address.rows()}
    for r in exact.by_address.rows():
        assert (r["received"], r["held"]) == pytest.approx(fl[r["id"]], abs=exact.n_items)


def _overdrawn() -> AccountGraph:
    """Data that misses units: 1 and 2 pay out more than the edges show they hold."""
    return account_graph_from_rows(
        [
            {"src": 0, "dst": 1, "value": 100},
            {"src": 1, "dst": 2, "value": 150},
            {"src": 2, "dst": 3, "value": 60},
            {"src": 3, "dst": 2, "value": 10},
            {"src": 2, "dst": 4, "value": 200},
            {"src": 4, "dst": 1, "value": 20},
            {"src": 1, "dst": 5, "value": 15},
        ]
    )


def _rewarded() -> AccountGraph:
    """A block reward into 0 (backward: an origin) and a contract creation (no receiver)."""
    return account_graph_from_rows(
        [
            {"src": NO, "dst": 0, "value": 40, "kind": 3},
            {"src": 1, "dst": 0, "value": 60},
            {"src": 0, "dst": 2, "value": 50},
            {"src": 2, "dst": NO, "value": 20},
        ]
    )


def _starts() -> list[tuple[Any, str, Start]]:
    return [
        (small_graph, "forward", Start.transfer(1)),
        (small_graph, "backward", Start.transfer(4)),
        (small_graph, "forward", Start.address(1, 100, at=2)),
        (small_graph, "backward", Start.address(4, at=5)),
        (small_graph, "backward", Start.address(1, 60, at=2)),
        (_overdrawn, "forward", Start.transfer(0)),
        (_overdrawn, "forward", Start.address(2, 40, at=2)),
        (_overdrawn, "backward", Start.transfer(5)),
        (_overdrawn, "backward", Start.address(4, at=6)),
        (_rewarded, "backward", Start.transfer(2)),
        (_rewarded, "forward", Start.transfer(1)),
    ]


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize(("graph", "direction", "start"), _starts())
def test_equals_float_mode_below_2_53(model: str, graph: Any, direction: str, start: Start) -> None:
    g = graph()
    clusters = np.arange(g.n_addresses, dtype=np.uint32)
    clusters[2] = 1  # 1 and 2: one cluster
    categories = np.zeros(g.n_addresses, np.uint16)
    categories[3 % g.n_addresses] = 5  # a stop category (an exchange, say)
    options: list[dict[str, Any]] = [
        {},
        {"clusters": clusters},
        {"max_hops": 1},
        {"dust": 31},
        {"categories": categories, "stop_categories": [5]},
        {"start_time": 0, "end_time": 0},
    ]
    for opt in options:
        kw: dict[str, Any] = {"model": model, "direction": direction, **opt}
        flt = trace(g, start=start, **kw)
        exact = trace(g, start=start, exact=True, **kw)
        assert exact.exact and not flt.exact
        if model == "haircut" and graph is _overdrawn:  # shares with fractions: floors
            _close(exact, flt)
        else:
            assert _plain(exact) == _plain(flt)
        if model != "poison":
            _conserved(exact, transfer=start.kind == "transfer")


@pytest.fixture(scope="module")
def eth(tmp_path_factory: pytest.TempPathFactory) -> tuple[AccountGraph, int]:
    """The real blocks 17,173,049-050 and the addr_id of the USDT contract."""
    store = open_store(tmp_path_factory.mktemp("eth") / "store")
    folder = DATA / "eth-ethereum-etl" / "test_stream" / "blocks_17173049_17173050"
    store.ingest(read_ethereum_etl(folder), chain="eth")
    store.build_index("eth")
    return store.account_graph("eth"), store.address("eth", USDT, limit=0).addr_id


def test_real_usdt_equals_float_and_ether_is_close(eth: tuple[AccountGraph, int]) -> None:
    g, usdt = eth
    for token in (usdt, None):
        asset = NO if token is None else token
        edges = np.flatnonzero((g.edge_token == asset) & (g.edge_dst != NO) & (g.edge_src != NO))
        assert token is None or (g.edge_value[edges] < 2**53).all()  # USDT: 6 decimals
        for e in edges[:: 7 if token is None else 1].tolist():
            for model in MODELS:
                for direction in ("forward", "backward"):
                    kw: dict[str, Any] = {"model": model, "direction": direction, "token": token}
                    flt = trace(g, start=Start.transfer(e), **kw)
                    exact = trace(g, start=Start.transfer(e), exact=True, **kw)
                    if model != "poison":
                        _conserved(exact)
                    if token is not None and model != "haircut":
                        assert _plain(exact) == _plain(flt)
                    else:  # ether exceeds 2**53 wei; haircut rounds to whole units
                        fl = {r["id"]: r["received"] for r in flt.by_address.rows()}
                        for r in exact.by_address.rows():
                            assert r["received"] == pytest.approx(
                                fl[r["id"]], rel=1e-9, abs=exact.n_items
                            )


def _world(seed: int, n_addr: int = 6, n_edges: int = 40) -> list[dict[str, int]]:
    """Rewards of 10**24 and 2**100 + 1 wei and random transfers no sender overdraws;
    odd seeds: a few units each, so that tainted runs fragment and touch."""
    rnd = random.Random(seed)
    funds = ((0, BIG), (1, 2**100 + 1), (2, 3 * BIG + 7)) if seed % 2 == 0 else ((0, 9), (1, 5))
    extra = 2**90 if seed % 2 == 0 else 4
    bal = [0] * n_addr
    rows: list[dict[str, int]] = []

    def add(a: int, b: int, v: int) -> None:
        rows.append({"src": a, "dst": b, "value": v, "kind": 3 if a == NO else 0})
        if a != NO:
            bal[a] -= v
        if b != NO:
            bal[b] += v

    for a, v in funds:
        add(NO, a, v)
    for _ in range(n_edges):
        a = rnd.choice([i for i in range(n_addr) if bal[i] > 0])
        if rnd.random() < 0.1:
            add(NO, rnd.randrange(n_addr), rnd.randrange(1, extra))
            continue
        v = bal[a] if rnd.random() < 0.2 else rnd.randrange(1, bal[a] + 1)
        add(a, NO if rnd.random() < 0.05 else rnd.randrange(n_addr), v)
    return rows


def _reference(rows: list[dict[str, int]], start: int, model: str) -> tuple[dict[int, int], Any]:
    """Brute force: every address a list of [units, tainted] segments, oldest first.

    Returns the taint each transfer carried and per address (received, held)."""
    pools: dict[int, list[list[Any]]] = defaultdict(list)
    poisoned: set[int] = set()
    carried: dict[int, int] = {}
    received: dict[int, int] = defaultdict(int)
    for e, row in enumerate(rows):
        a, b, v = row["src"], row["dst"], row["value"]
        seg, pool, need = [], pools[a], v if a != NO else 0
        if a == NO:
            seg = [[v, False]]
        while need:
            piece = pool.pop(-1 if model == "lifo" else 0)
            take = min(need, piece[0])
            seg.append([take, piece[1]])
            if take < piece[0]:
                rest = [piece[0] - take, piece[1]]
                if model == "lifo":
                    pool.append(rest)
                else:
                    pool.insert(0, rest)
            need -= take
        if model == "lifo":
            seg.reverse()
        if e == start or model == "poison":
            seg = [[v, e == start or (e > start and a in poisoned)]]
        taint = sum(n for n, t in seg if t)
        if taint and e >= start:
            carried[e] = taint
            if b != NO:
                received[b] += taint
                poisoned.add(b)
        if b != NO:
            pools[b].extend(seg)
    held = {a: sum(n for n, t in pool if t) for a, pool in pools.items()}
    if model == "poison":
        held = {a: sum(n for n, _ in pools[a]) for a in poisoned}
    return carried, {a: (r, held.get(a, 0)) for a, r in received.items()}


@pytest.mark.parametrize("model", ["fifo", "lifo", "poison"])
@pytest.mark.parametrize("seed", range(10))
def test_far_above_2_53_equals_brute_force(model: str, seed: int) -> None:
    rows = _world(seed)
    g = account_graph_from_rows(rows)
    for start in range(len(rows)):
        if rows[start]["dst"] == NO:
            continue
        tr = trace(g, start=Start.transfer(start), model=model, max_hops=99, exact=True)
        carried, by_addr = _reference(rows, start, model)
        assert dict(zip(tr.item_ref.tolist(), tr.item_taint, strict=True)) == carried
        assert {r["id"]: (r["received"], r["held"]) for r in tr.by_address.rows()} == by_addr
        if model != "poison":
            _conserved(tr)


@pytest.mark.parametrize("model", ["haircut", "fifo", "lifo"])
@pytest.mark.parametrize("seed", range(6))
def test_far_above_2_53_conserves_both_ways(model: str, seed: int) -> None:
    rows = _world(seed)
    g = account_graph_from_rows(rows)
    for e, row in enumerate(rows):
        if row["src"] == NO or row["dst"] == NO:
            continue
        for direction in ("forward", "backward"):
            for hops in (99, 2):
                tr = trace(g, start=Start.transfer(e), model=model, direction=direction,
                           max_hops=hops, dust=BIG // 1000, exact=True)  # fmt: skip
                assert tr.start_taint == row["value"]
                _conserved(tr)


@pytest.mark.parametrize("model", ["fifo", "lifo"])
def test_backward_mirrors_forward_to_the_unit(model: str) -> None:
    """What reward r delivered into transfer t forward is what t owes to r backward."""
    rows = _world(1)
    g = account_graph_from_rows(rows)
    rewards = [r for r, row in enumerate(rows) if row["src"] == NO]
    fwd = {}
    for r in rewards:
        tr = trace(g, start=Start.transfer(r), model=model, max_hops=99, exact=True)
        fwd[r] = dict(zip(tr.item_ref.tolist(), tr.item_taint, strict=True))
    for t, row in enumerate(rows):
        if row["src"] == NO:
            continue
        back = trace(g, start=Start.transfer(t), model=model, direction="backward",
                     max_hops=99, exact=True)  # fmt: skip
        origin = back.item_status == 6
        got = dict(zip(back.item_ref[origin].tolist(), back.item_taint[origin], strict=True))
        assert got == {r: f[t] for r, f in fwd.items() if f.get(t, 0) > 0}
        assert back.ended["origin"] + back.ended["held"] == row["value"]


def test_haircut_shares_are_floors_within_one_unit() -> None:
    # 1 holds 2·10**24 + 1 clean, then the theft of 10**24 + 2; it pays out in awkward pieces
    pieces = [7, BIG // 3, 2**61 + 5, BIG + 1, 13, 2**70 - 1]
    rows = [
        {"src": NO, "dst": 1, "value": 2 * BIG + 1, "kind": 3},
        {"src": 0, "dst": 1, "value": BIG + 2},
        *({"src": 1, "dst": 2 + i, "value": v} for i, v in enumerate(pieces)),
    ]
    rows.append({"src": 1, "dst": 9, "value": 3 * BIG + 3 - sum(pieces)})  # the rest
    tr = trace(account_graph_from_rows(rows), start=Start.transfer(1), exact=True)
    taint, balance = BIG + 2, 3 * BIG + 3
    for e, share in zip(tr.item_ref[1:].tolist(), tr.item_taint[1:], strict=True):
        v = rows[e]["value"]
        real = Fraction(v * taint, balance)
        assert 0 <= real - share < 1  # floor: the fraction stays in 1's pool
        taint, balance = taint - share, balance - v
    assert taint == 0 and tr.item_taint[-1] > 0  # emptying the pool takes every unit left
    _conserved(tr)
    assert tr.ended == {"held": BIG + 2}
    flt = trace(account_graph_from_rows(rows), start=Start.transfer(1))
    assert flt.item_taint.tolist() == pytest.approx(tr.item_taint.tolist(), rel=1e-12, abs=1)


def test_exact_amounts_and_overflow_edges_are_refused_by_name() -> None:
    rows = [
        {"src": NO, "dst": 0, "value": 2**130, "token": 7, "kind": 3},  # beyond 2**128
        {"src": NO, "dst": 1, "value": 2**100 + 1, "kind": 3},
        {"src": 1, "dst": 2, "value": 2**99},
        {"src": 0, "dst": 2, "value": 2**129 + 1, "token": 7},
        {"src": 2, "dst": 3, "value": 2**98},
    ]
    g = account_graph_from_rows(rows)
    assert g.edge_overflow.tolist() == [True, False, False, True, False]
    tr = trace(g, start=Start.address(1, 2**100 + 1, at=2), model="fifo", exact=True)
    assert tr.ended == {"held": 2**100 + 1} and tr.item_value.tolist() == [2**99, 2**98]
    # the exact trace of token 7 must read edge 0 (the pool of 0) or 3: refused, not rounded
    with pytest.raises(Invalid, match=r"edge 0 .*2\*\*128"):
        trace(g, start=Start.address(0, at=1), token=7, exact=True)
    with pytest.raises(Invalid, match="edge 3 "):
        trace(g, start=Start.transfer(3), token=7, exact=True)
    assert trace(g, start=Start.transfer(3), token=7).start_taint == float(2**129 + 1)
    for amount in (0.5, 2.0**60, -1):
        with pytest.raises(Invalid, match=r"whole number|negative"):
            trace(g, start=Start.address(1, amount, at=2), exact=True)
    assert trace(g, start=Start.address(1, 2.0**52, at=2), exact=True).start_taint == 2**52
