"""The generated chain as bitcoin-etl JSON lines (``export_blocks_and_transactions``).

Field names and conventions follow bitcoin-etl's export, as in the real fixtures of
``../shared/data/btc-rpc-bitcoin-etl``: values in satoshi, hashes as display hex, the
coinbase with ``inputs: []``; inputs are enriched (spent value, type and addresses), as
in the public BigQuery dataset. Lines are built from cached per-script fragments, since
json.dumps per record would dominate generation time.
"""

from __future__ import annotations

import hashlib
import typing
from dataclasses import dataclass
from pathlib import Path

from chainsleuth.chain.address import address_text
from chainsleuth.chain.script import ScriptType

if typing.TYPE_CHECKING:
    from benchmarks.gen_blocks import Keys

# Output kinds in gen_blocks' order: (type, payload slice of the length-prefixed script, asm).
_KINDS = (
    (ScriptType.P2PKH, slice(4, 24), "OP_DUP OP_HASH160 {} OP_EQUALVERIFY OP_CHECKSIG"),
    (ScriptType.P2SH, slice(3, 23), "OP_HASH160 {} OP_EQUAL"),
    (ScriptType.P2WPKH, slice(3, 23), "0 {}"),
    (ScriptType.P2WSH, slice(3, 35), "0 {}"),
    (ScriptType.P2TR, slice(3, 35), "1 {}"),
)

# An input: (spent txid, spent vout, scriptSig, sequence, spent kind, spent key, value).
Input = tuple[bytes, int, bytes, bytes, int, int, int]


@dataclass(frozen=True)
class TxRecord:
    """What the export needs of one generated transaction (hashes in internal order)."""

    txid: bytes
    stripped_size: int
    size: int
    locktime: int
    inputs: list[Input]
    outputs: list[tuple[int, int, int]]  # (kind, key, value)
    nulldata: bytes = b""  # the coinbase's commitment script
    tag: bytes = b""  # the coinbase's scriptSig; empty for other transactions

    @property
    def vsize(self) -> int:
        return (self.stripped_size * 3 + self.size + 3) // 4


def _input_asm(kind: int, ss: bytes) -> str:
    """bitcoin-etl's ``script_asm`` of the scriptSigs gen_blocks writes."""
    if kind == 0:  # P2PKH: <sig> <pubkey>
        return f"{ss[1:73].hex()}[ALL] {ss[74:].hex()}"
    if kind == 1:  # P2SH 2-of-3 multisig: OP_0 <sig> <sig> <redeem script>
        return f"0 {ss[2:73].hex()}[ALL] {ss[75:146].hex()}[ALL] {ss[149:].hex()}"
    return ""  # native SegWit: empty scriptSig


class EtlWriter:
    """Appends blocks to ``blocks.json`` and ``transactions.json`` in ``out_dir``."""

    def __init__(self, out_dir: Path, keys: Keys) -> None:
        self.paths = (out_dir / "blocks.json", out_dir / "transactions.json")
        self._blocks = self.paths[0].open("w", encoding="ascii")
        self._txs = self.paths[1].open("w", encoding="ascii")
        self._keys = keys
        self._frags: list[list[str | None]] = [[None] * len(keys.pubs) for _ in _KINDS]

    def close(self) -> None:
        self._blocks.close()
        self._txs.close()

    def _script(self, kind: int, key: int) -> str:
        """Cached JSON fragment of an output script: asm, hex, type, addresses."""
        frag = self._frags[kind][key]
        if frag is None:
            st, payload_at, asm = _KINDS[kind]
            script = self._keys.scripts[kind][key]
            payload = script[payload_at]
            frag = (
                f'"script_asm": "{asm.format(payload.hex())}", "script_hex": "{script[1:].hex()}", '
                f'"required_signatures": 1, "type": "{st.core_name}", '
                f'"addresses": ["{address_text(st, payload)}"]'
            )
            self._frags[kind][key] = frag
        return frag

    def _outputs(self, rec: TxRecord) -> str:
        parts = []
        for i, (kind, key, value) in enumerate(rec.outputs):
            if kind < len(_KINDS):
                frag = self._script(kind, key)
            else:
                frag = (
                    f'"script_asm": "OP_RETURN {rec.nulldata[2:].hex()}", '
                    f'"script_hex": "{rec.nulldata.hex()}", "required_signatures": null, '
                    f'"type": "nulldata", "addresses": []'
                )
            parts.append(f'{{"index": {i}, {frag}, "value": {value}}}')
        return ", ".join(parts)

    def _inputs(self, rec: TxRecord) -> str:
        parts = []
        for i, (txid, vout, ss, seq, kind, key, value) in enumerate(rec.inputs):
            spent = self._script(kind, key).split('"required_signatures"', 1)[1]
            parts.append(
                f'{{"index": {i}, "spent_transaction_hash": "{txid[::-1].hex()}", '
                f'"spent_output_index": {vout}, "script_asm": "{_input_asm(kind, ss)}", '
                f'"script_hex": "{ss.hex()}", "sequence": {int.from_bytes(seq, "little")}, '
                f'"required_signatures"{spent}, "value": {value}}}'
            )
        return ", ".join(parts)

    def write_block(self, header: bytes, height: int, size: int, recs: list[TxRecord]) -> None:
        """One block line and its transaction lines."""
        block_hash = hashlib.sha256(hashlib.sha256(header).digest()).digest()[::-1].hex()
        stripped = size - sum(r.size - r.stripped_size for r in recs)
        time = int.from_bytes(header[68:72], "little")
        self._blocks.write(
            f'{{"hash": "{block_hash}", "size": {size}, "stripped_size": {stripped}, '
            f'"weight": {stripped * 3 + size}, "number": {height}, '
            f'"version": {int.from_bytes(header[:4], "little")}, '
            f'"merkle_root": "{header[36:68][::-1].hex()}", "timestamp": {time}, '
            f'"nonce": "{int.from_bytes(header[76:80], "little"):x}", '
            f'"bits": "{int.from_bytes(header[72:76], "little"):08x}", '
            f'"coinbase_param": "{recs[0].tag.hex()}", "transaction_count": {len(recs)}}}\n'
        )
        for index, rec in enumerate(recs):
            in_value = sum(i[6] for i in rec.inputs)
            out_value = sum(o[2] for o in rec.outputs)
            self._txs.write(
                f'{{"hash": "{rec.txid[::-1].hex()}", "size": {rec.size}, '
                f'"virtual_size": {rec.vsize}, "version": {1 if rec.tag else 2}, '
                f'"lock_time": {rec.locktime}, "block_number": {height}, '
                f'"block_hash": "{block_hash}", "block_timestamp": {time}, '
                f'"is_coinbase": {"true" if rec.tag else "false"}, "index": {index}, '
                f'"inputs": [{self._inputs(rec)}], "outputs": [{self._outputs(rec)}], '
                f'"input_count": {len(rec.inputs)}, "output_count": {len(rec.outputs)}, '
                f'"input_value": {in_value}, "output_value": {out_value}, '
                f'"fee": {in_value - out_value if rec.inputs else 0}}}\n'
            )
