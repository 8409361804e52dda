"""The ground truth: who owns every address on the chain, scenario roles, every tx's kind.

Files (Parquet, under ``truth/``): ``addresses`` (address id, script type, payload, text,
owner entity, role in its wallet), ``entities`` (id, kind, name, scenario, role),
``transactions`` (txid, height, tag, change vout, fee) and ``roles`` (scenario, role, kind,
reference: address text, account id, entity id). Transactions are streamed to disk while
the chain is written (:class:`TxTruth`) and addresses written in chunks, so a world of ten
million transactions never holds its truth in memory; address text is compiled
(:mod:`chainsleuth.chain.address_array`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from chainsleuth.chain.address import NETWORKS
from chainsleuth.chain.address_array import address_text_array
from chainsleuth.simulate._txwrite import KIND_TO_SCRIPT_TYPE, PAYLOAD_LEN
from chainsleuth.simulate.book import Book, EntityKind, Role, payloads
from chainsleuth.simulate.ethetl import hex_text
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.state import Sim

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
REGTEST = NETWORKS["regtest"]
TRUTH = "truth"
CHUNK_ROWS = 1 << 21  # rows per written chunk (one Parquet row group each)
_ROLE_NAMES = np.array([r.name.lower() for r in Role], dtype=object)
_KIND_NAMES = np.array([k.name.lower() for k in EntityKind], dtype=object)
_TYPES = np.array([int(t) for t in KIND_TO_SCRIPT_TYPE], np.uint8)


def payload_column(book: Book, ids: I64) -> pa.BinaryArray:
    """The script payloads (20 or 32 bytes) of ``ids`` as one Arrow binary column."""
    lens = PAYLOAD_LEN[book.addr_kind.view[ids]]
    raw = payloads(book.seed, ids)
    keep = np.arange(32)[None, :] < lens[:, None]
    offsets = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
    return pa.BinaryArray.from_buffers(
        pa.binary(), len(ids), [None, pa.py_buffer(offsets), pa.py_buffer(raw[keep].tobytes())]
    )


def address_texts(book: Book, ids: I64) -> pa.StringArray:
    """Regtest address text of each id (base58 or bech32/bech32m)."""
    ids = np.asarray(ids, np.int64)
    return address_text_array(_TYPES[book.addr_kind.view[ids]], payloads(book.seed, ids), REGTEST)


class TxTruth:
    """Streams ``truth/transactions.parquet`` while blocks are written, a chunk at a time."""

    def __init__(self, out: Path, tags: dict[str, int]) -> None:
        (out / TRUTH).mkdir(parents=True, exist_ok=True)
        self.path, self.tags = out / TRUTH / "transactions.parquet", tags
        self._parts: list[tuple[U8, I64, I64, I64, I64]] = []
        self._pending = 0
        self._writer: pq.ParquetWriter | None = None

    def add(self, txids: U8, height: int, tag: I64, change_vout: I64, fee: I64) -> None:
        """One block's transactions: txids in internal byte order, tag -1 for the coinbase."""
        self._parts.append((txids, np.full(len(txids), height), tag, change_vout, fee))
        self._pending += len(txids)
        if self._pending >= CHUNK_ROWS:
            self.flush()

    def flush(self) -> None:
        if not self._parts:
            return
        txid, height, tag, change, fee = (np.concatenate(c) for c in zip(*self._parts, strict=True))
        self._parts, self._pending = [], 0
        names = np.array(["coinbase", *self.tags], dtype=object)
        table = pa.table({
            "txid": hex_text(np.ascontiguousarray(txid[:, ::-1]), prefix=""),
            "height": pa.array(height, pa.int32()),
            "tag": pa.array(names[tag + 1], pa.string()),
            "change_vout": pa.array(change, pa.int32()),
            "fee": pa.array(fee, pa.int64()),
        })  # fmt: skip
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table)

    def close(self) -> None:
        self.flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _addresses(sim: Sim, used: I64) -> pa.Table:
    book = sim.book
    cols = {
        "address_id": pa.array(used, pa.int64()),
        "script_type": pa.array(_TYPES[book.addr_kind.view[used]], pa.uint8()),
        "payload": payload_column(book, used),
        "entity_id": pa.array(book.addr_owner.view[used].astype(np.int64)),
        "wallet_role": pa.array(_ROLE_NAMES[book.addr_role.view[used]], pa.string()),
    }
    if sim.preset.address_text:
        cols["address"] = address_texts(book, used)
    return pa.table(cols)


def _write_addresses(path: Path, sim: Sim, used: I64) -> None:
    """The paid addresses, in chunks (their payloads are derived a chunk at a time)."""
    with pq.ParquetWriter(path, _addresses(sim, used[:0]).schema, compression="zstd") as w:
        for start in range(0, max(len(used), 1), CHUNK_ROWS):
            w.write_table(_addresses(sim, used[start : start + CHUNK_ROWS]))


def _entities(sim: Sim, plot: Plot) -> pa.Table:
    book = sim.book
    n = book.ent_kind.n
    names = np.full(n, None, dtype=object)
    names[list(book.names)] = list(book.names.values())
    scenario, role = np.full(n, None, dtype=object), np.full(n, None, dtype=object)
    for e, (s, r) in plot.entity_roles.items():
        scenario[e], role[e] = s, r
    return pa.table({
        "entity_id": pa.array(np.arange(n), pa.int64()),
        "kind": pa.array(_KIND_NAMES[book.ent_kind.view], pa.string()),
        "name": pa.array(names, pa.string()),
        "scenario": pa.array(scenario, pa.string()),
        "role": pa.array(role, pa.string()),
    })  # fmt: skip


def _roles(sim: Sim, plot: Plot) -> pa.Table:
    rows = plot.truth.rows
    addr_refs = np.array([int(r[3]) for r in rows if r[2] == "address"], np.int64)
    text = iter(address_texts(sim.book, addr_refs).to_pylist())
    refs = [next(text) if kind == "address" else ref for _, _, kind, ref in rows]
    return pa.table({
        "scenario": [r[0] for r in rows], "role": [r[1] for r in rows],
        "kind": [r[2] for r in rows], "ref": refs,
    })  # fmt: skip


def write_truth(out: Path, sim: Sim, used: I64, plot: Plot) -> list[str]:
    """Write the address, entity and role tables (transactions come from :class:`TxTruth`);
    the paths of all four relative to ``out``."""
    folder = out / TRUTH
    folder.mkdir(exist_ok=True)
    _write_addresses(folder / "addresses.parquet", sim, used)
    pq.write_table(_entities(sim, plot), folder / "entities.parquet", compression="zstd")
    pq.write_table(_roles(sim, plot), folder / "roles.parquet", compression="zstd")
    names = ("addresses", "entities", "transactions", "roles")
    return [f"{TRUTH}/{name}.parquet" for name in names]
