"""The manifest: the single source of truth of what the store holds.

``STORE/manifest.json`` lists, per chain, the committed batches with their files and the
counts before them (the checkpoints a reorg rolls back to), and the id-map runs. A file
the manifest does not name is not part of the store.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import TypedDict

from chainsleuth.chain.batch import Family
from chainsleuth.errors import Invalid
from chainsleuth.store.errors import UnknownChain
from chainsleuth.store.layout import MANIFEST, write_json_atomic

FORMAT = 1
COUNT_KEYS = ("blocks", "txs", "inputs", "outputs", "addresses")
_CHAIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BatchRecord(TypedDict):
    """One committed batch: its files, where its ids start, what it added."""

    seq: int
    base: dict[str, int]  # counts before this batch (the rollback checkpoint)
    added: dict[str, int]
    files: dict[str, str]  # table -> parquet path; "arrays" -> batch array dir
    min_height: int
    max_height: int
    unresolved: int  # inputs left unresolved
    from_source: int  # inputs resolved from the source's prev_* columns
    max_prev_out: int  # highest output index an input of this batch spends (-1: none)
    fees: int  # sum of the known fees


class ChainEntry(TypedDict):
    family: Family
    network: str
    next_seq: int
    counts: dict[str, int]
    batches: list[BatchRecord]
    runs: dict[str, list[str]]  # "tx"/"addr" -> run path prefixes
    index: str | None


class ManifestData(TypedDict):
    format: int
    generation: int
    chains: dict[str, ChainEntry]


def check_chain_name(name: str) -> str:
    """Chain names become SQL view prefixes, so keep them identifiers."""
    if not _CHAIN_NAME.match(name):
        raise Invalid(f"chain name {name!r}: use lowercase letters, digits and _ (max 40)")
    return name


def new_chain(family: Family, network: str) -> ChainEntry:
    return ChainEntry(
        family=family,
        network=network,
        next_seq=1,
        counts=dict.fromkeys(COUNT_KEYS, 0),
        batches=[],
        runs={"tx": [], "addr": []},
        index=None,
    )


def load(root: Path) -> ManifestData:
    path = root / MANIFEST
    if not path.exists():
        return ManifestData(format=FORMAT, generation=0, chains={})
    data: ManifestData = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise Invalid(f"{path}: unsupported store format {data.get('format')!r}")
    return data


def commit(root: Path, data: ManifestData) -> ManifestData:
    """Write ``data`` as the next generation, atomically; return what was written."""
    new = copy.deepcopy(data)
    new["generation"] = data["generation"] + 1
    write_json_atomic(root / MANIFEST, new)
    return new


def chain_entry(data: ManifestData, chain: str) -> ChainEntry:
    try:
        return data["chains"][chain]
    except KeyError:
        raise UnknownChain(f"no chain {chain!r} in the store") from None


def referenced_files(data: ManifestData) -> list[str]:
    """Every file the manifest names, relative to the store root."""
    out: list[str] = []
    for name, entry in data["chains"].items():
        base = f"chains/{name}/"
        for batch in entry["batches"]:
            for kind, rel in batch["files"].items():
                if kind == "arrays":
                    out.extend(base + rel + "/" + f for f in ARRAY_FILES[entry["family"]])
                else:
                    out.append(base + rel)
        for runs in entry["runs"].values():
            for prefix in runs:
                out.extend((base + prefix + ".h.npy", base + prefix + ".i.npy"))
        if entry["index"]:
            out.extend(base + entry["index"] + "/" + f for f in INDEX_FILES[entry["family"]])
    return out


_KEYS = ("txkeys.data.npy", "txkeys.off.npy", "addrkeys.data.npy", "addrkeys.off.npy")
ARRAY_FILES: dict[Family, tuple[str, ...]] = {
    "utxo": (*_KEYS, "tx_out_start.npy", "tx_out_count.npy", "out_value.npy", "out_addr.npy"),
    "account": _KEYS,
}
_UTXO_CSR = ("addr_out", "addr_in", "tx_out", "tx_in", "addr_outputs", "addr_inputs")
_ACCOUNT_CSR = ("addr_out", "addr_in", "tx_edges")
# the arrays behind analysis.graph.UtxoGraph / AccountGraph (store/graph_arrays.py)
_UTXO_ARRAYS = (
    *("tx_height", "tx_time", "tx_version", "tx_locktime", "tx_vsize", "tx_fee", "tx_coinbase"),
    *("in_start", "in_prev_out", "in_value", "in_addr", "in_sequence"),
    *("out_start", "out_value", "out_addr", "out_type", "out_spent"),
)
_ACCOUNT_ARRAYS = (
    *("edge_src", "edge_dst", "edge_tx", "edge_kind", "edge_token", "edge_value"),
    *("edge_value_hi", "edge_value_lo", "edge_overflow", "edge_block", "edge_time"),
)


def _index_files(arrays: tuple[str, ...], csr: tuple[str, ...]) -> tuple[str, ...]:
    return (
        "graph.json",
        *(f"{n}.npy" for n in arrays),
        *(f"{n}.{a}.npy" for n in csr for a in ("indptr", "indices")),
    )


INDEX_FILES: dict[Family, tuple[str, ...]] = {
    "utxo": _index_files(_UTXO_ARRAYS, _UTXO_CSR),
    "account": _index_files(_ACCOUNT_ARRAYS, _ACCOUNT_CSR),
}
