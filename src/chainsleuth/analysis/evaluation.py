"""How right clustering, CoinJoin detection and change marking are on a simulated world.

A world from :func:`chainsleuth.simulate.simulate_world` says who owns every address and
what every transaction is (``truth/*.parquet``). :func:`world_truth` maps that truth onto
a chain store's ids; :func:`evaluate` then scores, against it:

- clustering, as pairwise precision and recall (:func:`pairwise_precision_recall`), for
  co-spend alone, co-spend with each change heuristic alone, with all heuristics that do
  not look forward, and with all of them (plus co-spend with CoinJoins not skipped, to
  show what skipping them buys);
- :func:`detect_coinjoins` per kind, against the world's ``coinjoin/*`` tags;
- :func:`mark_change` per heuristic, against the world's change output of each tx.

Precision is the share of claims that are right, recall the share of the truth found.
A detector that claims nothing has no precision (``None``), not a perfect one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chainsleuth.analysis.change import CHANGE_HEURISTICS, FORWARD_HEURISTICS, mark_change
from chainsleuth.analysis.cluster import cluster_addresses
from chainsleuth.analysis.coinjoin import CoinJoinKind, CoinJoinRules, detect_coinjoins, mixing
from chainsleuth.analysis.evaluate import pairwise_precision_recall
from chainsleuth.analysis.graph import I64, U8, B, UtxoGraph
from chainsleuth.chain.address import address_key
from chainsleuth.chain.script import ScriptType
from chainsleuth.errors import Invalid, NotFound

if TYPE_CHECKING:
    from chainsleuth.store import ChainStore

# The simulator tags a CoinJoin "coinjoin/<protocol>"; its Wasabi rounds are 1.x (ZeroLink).
TAG_KINDS = {
    "coinjoin/whirlpool": CoinJoinKind.WHIRLPOOL,
    "coinjoin/whirlpool_tx0": CoinJoinKind.WHIRLPOOL_TX0,
    "coinjoin/wasabi": CoinJoinKind.WASABI1,
    "coinjoin/wasabi2": CoinJoinKind.WASABI2,
    "coinjoin/joinmarket": CoinJoinKind.JOINMARKET,
}
NO_COINJOIN_SKIP = CoinJoinRules(kinds=frozenset())


@dataclass(frozen=True, eq=False)
class WorldTruth:
    """Ground truth in store ids: per addr_id its entity; per tx_id its CoinJoin kind
    (:class:`CoinJoinKind`, from the tag) and the output row of its change (-1: none)."""

    entity: I64
    coinjoin: U8
    change_out: I64


def _truth_table(world: Path, name: str, columns: list[str]) -> pa.Table:
    path = Path(world) / "truth" / f"{name}.parquet"
    if not path.exists():
        raise NotFound(f"{path}: no ground truth here (is {world} a simulated world?)")
    return pq.read_table(path, columns=columns)


def _folded(addresses: pa.Table) -> pa.Table:
    """The truth's addresses keyed as the store keys them: P2PK as its P2PKH hash160."""
    types = addresses["script_type"].to_numpy().copy()
    p2pk = np.flatnonzero(types == ScriptType.P2PK)
    if not len(p2pk):  # simulated worlds rarely pay to bare keys: skip the Python pass
        return addresses
    payload = addresses["payload"].to_pylist()
    for i in p2pk:  # hash160 per P2PK key; no vectorised RIPEMD-160 exists
        types[i], payload[i] = address_key(ScriptType.P2PK, payload[i]) or (types[i], payload[i])
    return pa.table({
        "script_type": pa.array(types, pa.uint8()),
        "payload": pa.array(payload, pa.binary()),
        "entity_id": addresses["entity_id"],
    })  # fmt: skip


def _entities(store: ChainStore, world: Path, chain: str, n_addresses: int) -> I64:
    truth = _folded(_truth_table(world, "addresses", ["script_type", "payload", "entity_id"]))
    with store.connect() as con:
        con.register("truth_addresses", truth)
        rows = con.execute(
            f"SELECT a.addr_id, t.entity_id FROM {chain}_addresses a JOIN truth_addresses t "
            "ON a.script_type = t.script_type AND a.payload = t.payload"
        ).fetchnumpy()
    addr = np.asarray(rows["addr_id"], np.int64)
    entity = np.full(n_addresses, -1, np.int64)
    entity[addr] = np.asarray(rows["entity_id"], np.int64)
    if len(np.unique(addr)) != len(addr):
        raise Invalid(f"{world}/truth/addresses.parquet: an address has two owners")
    missing = np.flatnonzero(entity < 0)
    if len(missing):
        raise Invalid(
            f"{world}/truth/addresses.parquet: {len(missing)} store addresses have no owner "
            f"(first addr_id {int(missing[0])}); was the store built from this world?"
        )
    return entity


def _tag_kinds(tags: Sequence[str]) -> U8:
    names, inverse = np.unique(np.asarray(tags, dtype=object), return_inverse=True)
    kinds = [
        TAG_KINDS.get(t, CoinJoinKind.GENERIC if t.startswith("coinjoin/") else CoinJoinKind.NONE)
        for t in names
    ]
    return np.asarray(kinds, np.uint8)[inverse]


def _transactions(store: ChainStore, world: Path, chain: str, graph: UtxoGraph) -> tuple[U8, I64]:
    truth = _truth_table(world, "transactions", ["txid", "tag", "change_vout"])
    with store.connect() as con:
        con.register("truth_transactions", truth)
        rows = con.execute(
            f"SELECT x.tx_id, t.tag, t.change_vout FROM {chain}_transactions x "
            "JOIN truth_transactions t ON x.txid = unhex(t.txid) ORDER BY x.tx_id"
        ).fetchnumpy()
    tx = np.asarray(rows["tx_id"], np.int64)
    if not np.array_equal(tx, np.arange(graph.n_txs)):
        raise Invalid(
            f"{world}/truth/transactions.parquet: the store's txs differ from the truth's"
        )
    vout = np.asarray(rows["change_vout"], np.int64)
    if (vout >= np.diff(graph.out_start)).any():
        raise Invalid(f"{world}/truth/transactions.parquet: a change_vout beyond its outputs")
    change_out = np.where(vout >= 0, graph.out_start[:-1] + vout, -1)
    return _tag_kinds(list(rows["tag"])), change_out


def world_truth(store: ChainStore, world: Path, *, chain: str = "btc") -> WorldTruth:
    """The ground truth of the simulated ``world`` in the ids of ``store``'s ``chain``.

    The store must hold exactly the world's blocks, indexed (``build_index``). Addresses
    are matched on (script type, payload) as the store keys them, txs on their hash.
    """
    graph = store.utxo_graph(chain)
    coinjoin, change_out = _transactions(store, world, chain, graph)
    return WorldTruth(_entities(store, world, chain, graph.n_addresses), coinjoin, change_out)


@dataclass(frozen=True)
class Setting:
    """One clustering run: a name, its change heuristics, and whether CoinJoins are skipped."""

    name: str
    change: tuple[str, ...] = ()
    skip_coinjoins: bool = True


def default_settings() -> tuple[Setting, ...]:
    """Co-spend alone (with and without CoinJoin skipping), + each heuristic, + groups."""
    forward_free = tuple(h for h in CHANGE_HEURISTICS if h not in FORWARD_HEURISTICS)
    return (
        Setting("co-spend"),
        Setting("co-spend, CoinJoins not skipped", skip_coinjoins=False),
        *(Setting(f"+ {h}", (h,)) for h in CHANGE_HEURISTICS),
        Setting("+ forward-free heuristics", forward_free),
        Setting("+ all heuristics", CHANGE_HEURISTICS),
    )


@dataclass(frozen=True)
class PairScore:
    """Pairwise precision / recall of one clustering run, with its cluster counts."""

    setting: Setting
    precision: float
    recall: float
    n_clusters: int
    largest: int  # addresses in the largest cluster

    def to_json(self) -> dict[str, Any]:
        return {
            "setting": self.setting.name,
            "change": list(self.setting.change),
            "skip_coinjoins": self.setting.skip_coinjoins,
            "precision": self.precision,
            "recall": self.recall,
            "n_clusters": self.n_clusters,
            "largest": self.largest,
        }


@dataclass(frozen=True)
class Detection:
    """A yes/no detector against the truth: ``truth`` real cases, ``flagged`` claims,
    ``correct`` claims that are right."""

    name: str
    truth: int
    flagged: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.truth if self.truth else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "truth": self.truth,
            "flagged": self.flagged,
            "correct": self.correct,
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True)
class Evaluation:
    """Every score of one world: clustering runs, CoinJoin kinds, change heuristics."""

    n_addresses: int
    n_entities: int
    largest_entity: int  # addresses of the entity that owns the most
    n_txs: int
    clustering: tuple[PairScore, ...]
    coinjoin: tuple[Detection, ...]
    change: tuple[Detection, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "n_addresses": self.n_addresses,
            "n_entities": self.n_entities,
            "largest_entity": self.largest_entity,
            "n_txs": self.n_txs,
            "clustering": [s.to_json() for s in self.clustering],
            "coinjoin": [d.to_json() for d in self.coinjoin],
            "change": [d.to_json() for d in self.change],
        }


def score_clustering(
    graph: UtxoGraph,
    entity: I64,
    *,
    settings: Iterable[Setting] | None = None,
    coinjoin: CoinJoinRules | None = None,
) -> tuple[PairScore, ...]:
    """Cluster ``graph`` once per setting and score each against ``entity`` (per addr_id)."""
    if len(entity) != graph.n_addresses:
        raise Invalid(f"{len(entity)} truth entities for {graph.n_addresses} addresses")
    scores = []
    for s in settings if settings is not None else default_settings():
        rules = (coinjoin or CoinJoinRules()) if s.skip_coinjoins else NO_COINJOIN_SKIP
        clusters = cluster_addresses(graph, change=s.change, coinjoin=rules)
        precision, recall = pairwise_precision_recall(clusters.cluster, entity)
        largest = int(clusters.n_members.max(initial=0))
        scores.append(PairScore(s, precision, recall, len(clusters.ids), largest))
    return tuple(scores)


def _detection(name: str, truth: B, flagged: B) -> Detection:
    return Detection(name, int(truth.sum()), int(flagged.sum()), int((truth & flagged).sum()))


def score_coinjoins(
    graph: UtxoGraph, truth: U8, *, rules: CoinJoinRules | None = None
) -> tuple[Detection, ...]:
    """Per :class:`CoinJoinKind` (lower-case name), then ``mixing`` (any kind but Tx0)."""
    found = detect_coinjoins(graph, rules=rules)
    per_kind = [
        _detection(k.name.lower(), truth == k, found == k)
        for k in CoinJoinKind
        if k != CoinJoinKind.NONE
    ]
    return (*per_kind, _detection("mixing", mixing(truth), mixing(found)))


def score_change(
    graph: UtxoGraph,
    truth: I64,
    *,
    heuristics: Sequence[str] = CHANGE_HEURISTICS,
    skip: B | None = None,
) -> tuple[Detection, ...]:
    """:func:`mark_change` with each heuristic alone, then all together, against ``truth``
    (the change output row per tx, -1 none). ``truth`` counts txs with a change."""
    has_change = truth >= 0
    runs = [(h, (h,)) for h in heuristics] + [("all", tuple(heuristics))]
    out = []
    for name, names in runs:
        chosen = mark_change(graph, heuristics=names, skip=skip).change_out
        right = has_change & (chosen == truth)
        out.append(
            Detection(name, int(has_change.sum()), int((chosen >= 0).sum()), int(right.sum()))
        )
    return tuple(out)


def evaluate(
    graph: UtxoGraph,
    truth: WorldTruth,
    *,
    settings: Iterable[Setting] | None = None,
    coinjoin: CoinJoinRules | None = None,
) -> Evaluation:
    """All scores of one world; CoinJoins found by ``coinjoin`` rules are skipped throughout."""
    rules = coinjoin or CoinJoinRules()
    skip = mixing(detect_coinjoins(graph, rules=rules))
    owned = np.unique(truth.entity, return_counts=True)[1]
    return Evaluation(
        n_addresses=graph.n_addresses,
        n_entities=len(owned),
        largest_entity=int(owned.max(initial=0)),
        n_txs=graph.n_txs,
        clustering=score_clustering(graph, truth.entity, settings=settings, coinjoin=rules),
        coinjoin=score_coinjoins(graph, truth.coinjoin, rules=rules),
        change=score_change(graph, truth.change_out, skip=skip),
    )
