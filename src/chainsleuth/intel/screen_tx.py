"""Screen a transaction: every input and output address (UTXO), or every sender and
receiver of its transfers (account), against the lists in force and the tags; with a
policy, also each address's exposure and risk score (:func:`assess_risk`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chainsleuth.analysis import AccountGraph, UtxoGraph
from chainsleuth.intel.categories import category_map
from chainsleuth.intel.risk import RiskScore, assess_risk
from chainsleuth.intel.risk_policy import RiskPolicy
from chainsleuth.intel.screen import screen_addresses
from chainsleuth.intel.store import IntelStore
from chainsleuth.store import AccountTransactionInfo, ChainStore, TransactionInfo

_REASONS = 3  # reasons shown per address


@dataclass(frozen=True)
class TxScreen:
    """One row per party of the transaction (``role``, ``index``, ``address``, ``value``,
    screening ``status``, ``sanctions``, ``tags``, and ``risk`` when a policy was given)."""

    chain: str
    txid: str
    lists: dict[str, int]
    parties: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "txid": self.txid, "lists": self.lists,
                "parties": self.parties}  # fmt: skip


def _parties(tx: TransactionInfo | AccountTransactionInfo) -> list[dict[str, Any]]:
    if isinstance(tx, TransactionInfo):
        ins = [("input", i.index, i.address, i.value) for i in tx.inputs]
        outs = [("output", o.vout, o.address, o.value) for o in tx.outputs]
        rows = ins + outs
    else:
        rows = [("sender", 0, tx.from_address, tx.value), ("receiver", 0, tx.to_address, tx.value)]
        for n, t in enumerate(tx.transfers):
            rows += [("sender", n + 1, t.from_address, t.value)]
            rows += [("receiver", n + 1, t.to_address, t.value)]
    return [
        {"role": r, "index": i, "address": a, "value": v} for r, i, a, v in rows if a is not None
    ]


def _risk_view(risk: RiskScore) -> dict[str, Any]:
    return {
        "score": risk.score,
        "level": risk.level,
        "reasons": [c.reason() for c in risk.contributions[:_REASONS]],
    }


def _risks(
    store: ChainStore, intel: IntelStore, chain: str, texts: list[str], policy: RiskPolicy
) -> dict[str, dict[str, Any]]:
    family = store.family(chain)
    graph: UtxoGraph | AccountGraph = (
        store.utxo_graph(chain) if family == "utxo" else store.account_graph(chain)
    )
    cats = category_map(
        store, intel, chain, n_addresses=graph.n_addresses, priority=policy.priority()
    )
    out = {}
    for text in dict.fromkeys(texts):  # a transaction names a handful of addresses
        addr = store.address(chain, text, limit=0).addr_id
        out[text] = _risk_view(assess_risk(graph, cats, [addr], policy))
    return out


def screen_transaction(
    store: ChainStore,
    intel: IntelStore,
    chain: str,
    txid: str,
    *,
    min_confidence: int = 0,
    policy: RiskPolicy | None = None,
) -> TxScreen:
    """Screen the parties of ``txid``; with ``policy`` score each one's risk too (native coin
    on account chains)."""
    tx = store.transaction(chain, txid)
    parties = _parties(tx)
    texts = [p["address"] for p in parties]
    result = screen_addresses(intel, texts, min_confidence=min_confidence)
    for party, rec in zip(parties, result.records(), strict=True):
        party.update({k: rec[k] for k in ("status", "sanctioned", "sanctions", "tags")})
    if policy is not None:
        risks = _risks(store, intel, chain, texts, policy)
        for party in parties:
            party["risk"] = risks[party["address"]]
    return TxScreen(chain, txid, result.lists, parties)
