"""The ground truth: who owns every address on the chain, scenario roles, every tx's kind.

Files (Parquet, under ``truth/``): ``addresses`` (address id, script type, payload, text,
owner entity, role in its wallet), ``entities`` (id, kind, name, scenario, role),
``transactions`` (txid, height, tag, change vout, fee) and ``roles`` (scenario, role, kind,
reference: address text, account id, entity id).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from chainsleuth.chain.address import NETWORKS, address_text
from chainsleuth.simulate._txwrite import KIND_TO_SCRIPT_TYPE, PAYLOAD_LEN
from chainsleuth.simulate.book import Book, EntityKind, Role, payloads
from chainsleuth.simulate.chainrun import ChainLog
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.state import Sim

I64 = npt.NDArray[np.int64]
REGTEST = NETWORKS["regtest"]
_ROLE_NAMES = np.array([r.name.lower() for r in Role], dtype=object)
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


def address_texts(book: Book, ids: I64) -> list[str]:
    """Regtest address text of each id (base58 or bech32/bech32m)."""
    types = _TYPES[book.addr_kind.view[ids]]
    return [
        str(address_text(int(t), p, REGTEST))
        for t, p in zip(types, payload_column(book, ids).to_pylist(), strict=True)
    ]


def _addresses(sim: Sim, used: I64) -> pa.Table:
    book = sim.book
    cols = {
        "address_id": pa.array(used, pa.int64()),
        "script_type": pa.array(_TYPES[book.addr_kind.view[used]], pa.uint8()),
        "payload": payload_column(book, used),
        "entity_id": pa.array(book.addr_owner.view[used].astype(np.int64)),
        "wallet_role": pa.array(_ROLE_NAMES[book.addr_role.view[used]].tolist()),
    }
    if sim.preset.address_text:
        cols["address"] = pa.array(address_texts(book, used))
    return pa.table(cols)


def _entities(sim: Sim, plot: Plot) -> pa.Table:
    book = sim.book
    n = book.ent_kind.n
    roles = [plot.entity_roles.get(i, (None, None)) for i in range(n)]
    return pa.table({
        "entity_id": pa.array(np.arange(n), pa.int64()),
        "kind": pa.array([EntityKind(k).name.lower() for k in book.ent_kind.view]),
        "name": pa.array([book.names.get(i) for i in range(n)], pa.string()),
        "scenario": pa.array([r[0] for r in roles], pa.string()),
        "role": pa.array([r[1] for r in roles], pa.string()),
    })  # fmt: skip


def write_truth(out: Path, sim: Sim, log: ChainLog, plot: Plot, tags: dict[str, int]) -> list[str]:
    """Write the four ground-truth tables; their paths relative to ``out``."""
    (out / "truth").mkdir(exist_ok=True)
    names = np.array(list(tags), dtype=object)
    rows = log.tx_rows
    tag = np.concatenate([r["tag"] for r in rows])
    txs = pa.table({
        "txid": pa.array([bytes(t[::-1]).hex() for r in rows for t in r["txid"]]),
        "height": pa.array(np.concatenate([r["height"] for r in rows]), pa.int32()),
        "tag": pa.array(np.where(tag >= 0, names[np.maximum(tag, 0)], "coinbase").tolist()),
        "change_vout": pa.array(np.concatenate([r["change_vout"] for r in rows]), pa.int32()),
        "fee": pa.array(np.concatenate([r["fee"] for r in rows]), pa.int64()),
    })  # fmt: skip
    used = np.unique(np.concatenate(log.used))
    role_rows = plot.truth.rows
    addr_refs = np.array([int(r[3]) for r in role_rows if r[2] == "address"], np.int64)
    text = iter(address_texts(sim.book, addr_refs))
    refs = [next(text) if kind == "address" else ref for _, _, kind, ref in role_rows]
    roles = pa.table({
        "scenario": [r[0] for r in role_rows], "role": [r[1] for r in role_rows],
        "kind": [r[2] for r in role_rows], "ref": refs,
    })  # fmt: skip
    tables = {
        "addresses": _addresses(sim, used),
        "entities": _entities(sim, plot),
        "transactions": txs,
        "roles": roles,
    }
    for name, table in tables.items():
        pq.write_table(table, out / "truth" / f"{name}.parquet", compression="zstd")
    return [f"truth/{name}.parquet" for name in tables]
