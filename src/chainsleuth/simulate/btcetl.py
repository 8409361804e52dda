"""The UTXO chain as a bitcoin-etl export: ``blocks.json`` and ``transactions.json``.

bitcoin-etl's ``export_blocks_and_transactions`` writes JSON lines with inputs and outputs
nested in each transaction, inputs *enriched* with the spent output's type, addresses and
value. The export is built from the chain's canonical batches in DuckDB (joins and nested
lists) and written with ``COPY ... (FORMAT JSON)``; only the address text of each distinct
address is made in Python. Address text is the mainnet form of each key, the form bitcoin-etl
exports and :func:`chainsleuth.chain.readers.read_bitcoin_etl` parses; ``script_asm`` is
left empty (bitcoin-etl prints bitcoind's disassembly there).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import pyarrow as pa

from chainsleuth.chain.address import address_text
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.script import ScriptType

# Output script = prefix + payload + suffix, per script type (payload-only types).
_TEMPLATES = {
    ScriptType.P2PKH: ("76a914", "88ac"),
    ScriptType.P2SH: ("a914", "87"),
    ScriptType.P2WPKH: ("0014", ""),
    ScriptType.P2WSH: ("0020", ""),
    ScriptType.P2TR: ("5120", ""),
}


def _addresses(outputs: pa.Table) -> pa.Table:
    """Script type names, script hex and address text of each distinct (type, payload)."""
    pairs = outputs.select(["script_type", "payload"]).group_by(["script_type", "payload"])
    distinct = pairs.aggregate([]).to_pydict()
    types, hexes, texts, names = [], [], [], []
    for t, p in zip(distinct["script_type"], distinct["payload"], strict=True):
        st = ScriptType(t)
        pre, post = _TEMPLATES.get(st, ("", ""))
        types.append(t)
        names.append(st.core_name)
        hexes.append(pre + p.hex() + post)
        texts.append([address_text(st, p)] if st in _TEMPLATES else [])
    return pa.table({
        "script_type": pa.array(types, pa.uint8()), "payload": distinct["payload"],
        "type": names, "script_hex": hexes, "addresses": pa.array(texts, pa.list_(pa.string())),
    })  # fmt: skip


_BLOCKS = """
SELECT lower(hex(hash)) AS hash, size, (weight - size) // 3 AS stripped_size, weight,
       height AS number, version, lower(hex(merkle_root)) AS merkle_root,
       epoch(time)::BIGINT AS timestamp, lower(printf('%x', nonce)) AS nonce,
       lower(printf('%x', bits)) AS bits, lower(hex(coinbase_script)) AS coinbase_param,
       tx_count AS transaction_count
FROM blocks ORDER BY height
"""
_TXS = """
WITH o AS (
  SELECT o.txid, o.vout, o.value, a.type, a.script_hex, a.addresses
  FROM outputs o JOIN addrs a USING (script_type, payload)
), ins AS (
  SELECT i.txid, list(struct_pack(index := i.index,
           spent_transaction_hash := lower(hex(i.prev_txid)), spent_output_index := i.prev_vout,
           script_asm := '', script_hex := '', sequence := i.sequence,
           required_signatures := NULL::INTEGER, type := o.type, addresses := o.addresses,
           value := o.value) ORDER BY i.index) AS inputs, sum(o.value) AS input_value
  FROM inputs i JOIN o ON o.txid = i.prev_txid AND o.vout = i.prev_vout GROUP BY i.txid
), outs AS (
  SELECT txid, list(struct_pack(index := vout, script_asm := '', script_hex := script_hex,
           required_signatures := CASE WHEN len(addresses) > 0 THEN 1 END, type := type,
           addresses := addresses, value := value) ORDER BY vout) AS outputs
  FROM o GROUP BY txid
)
SELECT lower(hex(t.txid)) AS hash, t.size, t.vsize AS virtual_size, t.version,
       t.locktime AS lock_time, t.height AS block_number, lower(hex(t.block_hash)) AS block_hash,
       epoch(b.time)::BIGINT AS block_timestamp, t.is_coinbase, t.index,
       coalesce(ins.inputs, []) AS inputs, outs.outputs,
       len(coalesce(ins.inputs, [])) AS input_count,
       t.output_count, coalesce(ins.input_value, 0) AS input_value, t.output_value,
       CASE WHEN t.is_coinbase THEN 0 ELSE ins.input_value - t.output_value END AS fee
FROM transactions t JOIN blocks b ON b.height = t.height
LEFT JOIN ins ON ins.txid = t.txid JOIN outs ON outs.txid = t.txid
ORDER BY t.height, t.index
"""


def write_bitcoin_etl(batches: Iterable[ChainBatch], out_dir: Path) -> list[Path]:
    """Write ``blocks.json`` and ``transactions.json`` of the chain in ``batches``."""
    parts: dict[str, list[pa.Table]] = {}
    for batch in batches:
        for name in ("blocks", "transactions", "inputs", "outputs"):
            parts.setdefault(name, []).append(batch[name])
    tables = {name: pa.concat_tables(p) for name, p in parts.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    for name, table in tables.items():
        con.register(name, table)
    con.register("addrs", _addresses(tables["outputs"]))
    paths = [out_dir / "blocks.json", out_dir / "transactions.json"]
    for sql, path in zip((_BLOCKS, _TXS), paths, strict=True):
        con.execute(f"COPY ({sql}) TO '{path}' (FORMAT JSON)")
    con.close()
    return paths
