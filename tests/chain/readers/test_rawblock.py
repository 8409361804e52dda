"""The raw-block reader against real mainnet blocks, python-bitcoinlib and SOURCE.md facts."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import random
import struct
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from bitcoin.core import CBlock, b2lx
from tests.conftest import DATA

from chainsleuth.chain.address import address_key, address_text
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers import _blockparse
from chainsleuth.chain.readers.rawblock import (
    parse_block_bytes,
    read_raw_blocks,
    scan_raw_blocks,
)
from chainsleuth.chain.script import ScriptType, classify_many
from chainsleuth.errors import Invalid, MalformedRecord

BCOIN = DATA / "btc-blocks-bcoin"
BTCD = DATA / "btc-blocks-btcd"
HADOOP = DATA / "btc-blocks-hadoopcryptoledger"
B574200 = BTCD / "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk"
B540107 = BTCD / "block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk"
FIRST = HADOOP / "firstblocks.blk"
MAINNET = bytes.fromhex("f9beb4d9")
GENESIS = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"

# SOURCE.md tables: file, start_height (None: from the data), height, hash, time, txs,
# multi-input txs, largest input count, non-coinbase inputs, outputs, outputs counted
# with the coinbase (True) or without (False), SegWit txs.
FACTS = [
    (BCOIN / "block300025.raw", None, 300025,
     "0000000000000000821c4e0acc40f88bedbce3b73ba2358b5ade58a9022cc78c",
     "2014-05-10 09:20:34", 461, 219, 59, 1427, 1226, True, 0),
    (BCOIN / "block426884.raw", None, 426884,
     "00000000000000000431d0ead6e0bd9f90ff0d469e9b05d51e3d04971f472973",
     "2016-08-26 03:17:39", 409, 169, 510, 6031, 798, True, 0),
    (BCOIN / "block482683.raw", None, 482683,
     "000000000000000000c238240ef6dcb26c37e75e16514e6ffc0aef7eee73e747",
     "2017-08-30 19:02:17", 12, 7, 21, 51, 25, True, 2),
    (BTCD / "277647.dat.bz2", None, 277647,
     "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8",
     "2013-12-30 01:31:42", 213, 115, 88, 732, 769, True, 0),
    (B574200, None, 574200,
     "0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2",
     "2019-05-02 04:34:31", 3315, 556, 100, 5054, 8150, True, 1341),
    (B540107, None, 540107,
     "00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab",
     "2018-09-05 23:30:43", 230, 92, 200, 7032, 472, True, 104),
    (HADOOP / "block176149.blk", 176149, 176149,
     "00000000000007b2a037eaaefc848e0ad8f41667589f7d5a0aca3e78c8003ac0",
     "2012-04-18 12:55:28", 109, 32, 25, 215, 278, False, 0),
    (HADOOP / "version4.blk", None, 403617,
     "00000000000000000245be9dd046492886b4527c7fa3494f26a9a9d876ecea22",
     "2016-03-21 10:59:13", 936, 589, 312, 5842, 2093, False, 0),
]  # fmt: skip
REAL_FILES = [f[0] for f in FACTS] + [FIRST]


def _read_all(path: Path | list[Path], **kwargs: object) -> dict[str, pa.Table]:
    batches = list(read_raw_blocks(path, **kwargs))  # type: ignore[arg-type]
    return {
        name: pa.concat_tables([b[name] for b in batches])
        for name in ("blocks", "transactions", "inputs", "outputs")
    }


def _frames(data: bytes) -> list[bytes]:
    """Blocks of a blk-framed file, or the file as one bare block."""
    if data[:4] != MAINNET:
        return [data]
    blocks, pos = [], 0
    while pos < len(data):
        (size,) = struct.unpack_from("<I", data, pos + 4)
        blocks.append(data[pos + 8 : pos + 8 + size])
        pos += 8 + size
    return blocks


def _raw_blocks(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return _frames(bz2.decompress(data) if path.suffix == ".bz2" else data)


def _frame(*blocks: bytes, magic: bytes = MAINNET) -> bytes:
    return b"".join(magic + struct.pack("<I", len(b)) + b for b in blocks)


def _dsha(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f[0].name[:24])
def test_real_blocks_match_source_md(fact: tuple) -> None:  # type: ignore[type-arg]
    path, start, height, block_hash, time, txs, multi, largest, inputs, outputs, with_cb, sw = fact
    t = _read_all(path, start_height=start)
    (block,) = t["blocks"].to_pylist()
    assert (block["height"], block["hash"].hex()) == (height, block_hash)
    assert block["time"] == datetime.fromisoformat(time).replace(tzinfo=UTC)
    assert block["tx_count"] == t["transactions"].num_rows == txs
    tx = t["transactions"]
    paid = tx.filter(pc.invert(tx["is_coinbase"]))
    assert pc.sum(pc.greater_equal(paid["input_count"], 2)).as_py() == multi
    assert pc.max(paid["input_count"]).as_py() == largest
    assert pc.sum(paid["input_count"]).as_py() == inputs == t["inputs"].num_rows - 1
    assert pc.sum((tx if with_cb else paid)["output_count"]).as_py() == outputs
    assert t["outputs"].num_rows == pc.sum(tx["output_count"]).as_py()
    assert pc.sum(tx["has_witness"]).as_py() == sw
    assert block["size"] == len(_raw_blocks(path)[0])


def test_firstblocks_heights_genesis_and_block_170() -> None:
    t = _read_all(FIRST, batch_blocks=100)
    blocks = t["blocks"]
    assert blocks["height"].to_pylist() == list(range(590))
    hashes = [h.hex() for h in blocks["hash"].to_pylist()]
    assert hashes[0] == GENESIS
    assert hashes[1] == "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048"
    assert hashes[-1] == "00000000b96305605f1eb5ab800024ff3fa260deedf6005e1e3987daa11d3935"
    tx = t["transactions"]
    hal = tx.filter(
        pc.equal(
            tx["txid"],
            pa.scalar(
                bytes.fromhex("f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16"),
                pa.binary(32),
            ),
        )
    )
    assert hal.select(["height", "input_count", "output_count"]).to_pylist() == [
        {"height": 170, "input_count": 1, "output_count": 2}
    ]  # fmt: skip
    coinbase = tx.filter(tx["is_coinbase"])
    assert set(coinbase["output_value"].to_pylist()) == {50 * 10**8}
    assert set(t["outputs"]["script_type"].to_pylist()) == {ScriptType.P2PK}
    bip69_2 = bytes.fromhex("28204cad1d7fc1d199e8ef4fa22f182de6258a3eaafe1bbe56ebdcacd3069a5f")
    assert tx.filter(pc.equal(tx["txid"], pa.scalar(bip69_2, pa.binary(32))))[
        "height"
    ].to_pylist() == [546]


def test_genesis_output_address() -> None:
    outputs = _read_all(FIRST, batch_blocks=1)["outputs"]
    first = outputs.slice(0, 1).to_pylist()[0]
    key = address_key(first["script_type"], first["payload"])
    assert key is not None
    assert address_text(*key) == "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"


Rows = list[tuple]  # type: ignore[type-arg]


def _bitcoinlib_rows(raw: bytes) -> tuple[Rows, Rows, Rows, int]:
    """Transactions, inputs, outputs and weight of one block as python-bitcoinlib sees them."""
    block = CBlock.deserialize(raw)
    txs: Rows = []
    ins: Rows = []
    outs: Rows = []
    for tx in block.vtx:
        txid = tx.GetTxid()[::-1]
        vsize = (tx.calc_weight() + 3) // 4
        txs.append((txid, tx.nVersion, tx.nLockTime, len(tx.serialize()), vsize, tx.has_witness()))
        ins += [(txid, i.prevout.hash[::-1], i.prevout.n, i.nSequence) for i in tx.vin]
        outs += [(txid, o.nValue, bytes(o.scriptPubKey)) for o in tx.vout]
    tx_bytes = sum(row[3] for row in txs)
    weight = 4 * (len(raw) - tx_bytes) + sum(tx.calc_weight() for tx in block.vtx)
    return txs, ins, outs, weight


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name[:24])
def test_transaction_by_transaction_against_python_bitcoinlib(path: Path) -> None:
    raws = _raw_blocks(path)
    t = _read_all(path, start_height=176149 if "176149" in path.name else None)
    expected = [_bitcoinlib_rows(raw) for raw in raws]
    blocks = t["blocks"]
    assert [b2lx(CBlock.deserialize(r).GetHash()) for r in raws] == [
        h.hex() for h in blocks["hash"].to_pylist()
    ]
    assert blocks["weight"].to_pylist() == [e[3] for e in expected]
    tx = t["transactions"]
    got_txs = list(zip(*(tx[c].to_pylist() for c in (
        "txid", "version", "locktime", "size", "vsize", "has_witness")), strict=True))  # fmt: skip
    assert got_txs == [row for e in expected for row in e[0]]
    inputs = t["inputs"]
    got_ins = list(zip(*(inputs[c].to_pylist() for c in (
        "txid", "prev_txid", "prev_vout", "sequence")), strict=True))  # fmt: skip
    assert got_ins == [row for e in expected for row in e[1]]
    want_outs = [row for e in expected for row in e[2]]
    outputs = t["outputs"]
    got = list(zip(outputs["txid"].to_pylist(), outputs["value"].to_pylist(), strict=True))
    assert got == [(txid, value) for txid, value, _ in want_outs]
    types, payloads = classify_many([script for _, _, script in want_outs])
    assert outputs["script_type"].to_pylist() == [int(s) for s in types]
    assert outputs["payload"].to_pylist() == payloads
    assert pc.all(pc.is_null(inputs["prev_value"])).as_py()


def _undo_values(data: bytes) -> list[int]:
    """Values of bcoin's undo records: int64 LE value, CompactSize script length, script."""
    values, pos = [], 0
    while pos < len(data):
        (value,) = struct.unpack_from("<q", data, pos)
        pos += 8
        size = data[pos]
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}.get(size, 0)
        if width:
            size = int.from_bytes(data[pos + 1 : pos + 1 + width], "little")
        pos += 1 + width + size
        values.append(value)
    return values


def test_fee_identity_block_300025_with_undo_data() -> None:
    t = _read_all(BCOIN / "block300025.raw")
    spent = _undo_values((BCOIN / "block300025-undo.raw").read_bytes())
    tx = t["transactions"]
    assert len(spent) == t["inputs"].num_rows - 1 == 1427
    paid = pc.sum(tx.filter(pc.invert(tx["is_coinbase"]))["output_value"]).as_py()
    assert sum(spent) - paid == 7_773_345
    assert tx["output_value"][0].as_py() == 2_507_773_345 == 25 * 10**8 + 7_773_345


def test_blk_file_out_of_order_with_orphan_duplicate_and_padding(tmp_path: Path) -> None:
    first = _raw_blocks(FIRST)[:30]
    orphan = _raw_blocks(HADOOP / "version4.blk")[0]  # parent not in the file
    shuffled = first[1:]
    random.Random(7).shuffle(shuffled)
    blk = tmp_path / "blk00000.dat"
    blk.write_bytes(
        _frame(*shuffled[:12], orphan, first[5], first[0], *shuffled[12:]) + bytes(4096)
    )
    t = _read_all(blk, batch_blocks=7)
    want = [_dsha(b[:80])[::-1] for b in first]
    orphan_hash = _dsha(orphan[:80])[::-1]
    # the orphan's parent is not in the file: it stands alone at its BIP34 height
    assert t["blocks"]["hash"].to_pylist() == [*want, orphan_hash]
    assert t["blocks"]["height"].to_pylist() == [*range(30), 403617]
    scan = scan_raw_blocks(blk)
    assert scan.skipped == (want[5],)  # the duplicate
    assert [(s.start_height, len(s.blocks)) for s in scan.segments] == [(0, 30), (403617, 1)]
    assert [loc.hash for loc in scan.chain] == [*want, orphan_hash]


def test_most_work_chain_wins_without_genesis(tmp_path: Path) -> None:
    first = _raw_blocks(FIRST)
    blk = tmp_path / "blk00001.dat"
    blk.write_bytes(_frame(first[100], *reversed(first[10:30])))  # 100 is an orphan
    with pytest.raises(MalformedRecord, match="start_height") as err:
        _read_all(blk)
    assert err.value.field == "height"
    t = _read_all(blk, start_height=10)
    assert t["blocks"]["height"].to_pylist() == list(range(10, 30))
    assert scan_raw_blocks(blk, start_height=10).skipped == (_dsha(first[100][:80])[::-1],)


def test_version1_block_needs_start_height() -> None:
    path = HADOOP / "block176149.blk"
    with pytest.raises(MalformedRecord, match="pass start_height") as err:
        list(read_raw_blocks(path))
    assert err.value.path == str(path)
    assert "00000000000007b2a037eaaefc848e0ad8f41667589f7d5a0aca3e78c8003ac0" in str(
        err.value.record
    )
    (batch,) = read_raw_blocks(path, start_height=176149)
    assert batch["blocks"]["height"].to_pylist() == [176149]
    assert batch["transactions"]["output_value"][0].as_py() == 5_005_901_373


def test_bz2_and_gzip_input(tmp_path: Path) -> None:
    t = _read_all(BTCD / "277647.dat.bz2")
    assert (t["transactions"].num_rows, t["inputs"].num_rows - 1, t["outputs"].num_rows) == (
        213, 732, 769,
    )  # fmt: skip
    gz = tmp_path / "block482683.raw.gz"
    gz.write_bytes(gzip.compress((BCOIN / "block482683.raw").read_bytes()))
    assert _read_all(gz)["transactions"].equals(
        _read_all(BCOIN / "block482683.raw")["transactions"]
    )


def _coinbase() -> bytes:
    script = b"\x03\x01\x00\x00"  # BIP34 push of height 1
    return (
        struct.pack("<i", 1) + b"\x01" + bytes(32) + b"\xff\xff\xff\xff" + bytes([len(script)])
        + script + b"\xff\xff\xff\xff" + b"\x01" + struct.pack("<q", 0) + b"\x01\x51"
        + bytes(4)
    )  # fmt: skip


def _wrap(txs: list[bytes], bits: int = 0x207FFFFF) -> bytes:
    """A block around ``txs`` with their merkle root and an easy target (regtest's bits)."""
    level = [_dsha(tx) for tx in txs]
    while len(level) > 1:
        level += level[-1:] * (len(level) % 2)
        level = [_dsha(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    count = bytes([len(txs)]) if len(txs) < 0xFD else b"\xfd" + struct.pack("<H", len(txs))
    for nonce in range(1000):
        header = struct.pack("<i", 2) + bytes(32) + level[0] + struct.pack("<III", 0, bits, nonce)
        if int.from_bytes(_dsha(header), "little") <= 0x7FFFFF << 8 * 29:
            return header + count + b"".join(txs)
    raise AssertionError("no nonce")


def test_megatx_and_bip69_transactions_in_a_built_block() -> None:
    megatx = bz2.decompress((BTCD / "megatx.bin.bz2").read_bytes())
    bip69 = [bytes.fromhex((BTCD / f"bip69-{i}.hex").read_text()) for i in range(1, 6)]
    batch = parse_block_bytes(_wrap([_coinbase(), megatx, *bip69]), height=7, source="built")
    tx = batch["transactions"]
    assert [t.hex() for t in tx["txid"].to_pylist()[1:]] == [
        "bb41a757f405890fb0f5856228e23b715702d714d59bf2b1feb70d8b2b4e3e08",
        "0a6a357e2f7796444e02638749d9611c008b253fb55f5dc88b739b230ed0c4c3",
        "28204cad1d7fc1d199e8ef4fa22f182de6258a3eaafe1bbe56ebdcacd3069a5f",
        "fbde5d03b027d2b9ba4cf5d4fecab9a99864df2637b25ea4cbcb1796ff6550ca",
        "8131ffb0a2c945ecaf9b9063e59558784f9c3a74741ce6ae2a18d0571dac15bb",
        "ff85e8fc92e71bbc217e3ea9a3bacb86b435e52b6df0b089d67302c293a2b81d",
    ]
    assert tx["input_count"].to_pylist()[1:] == [5569, 17, 2, 1, 5, 1]
    assert tx["output_count"].to_pylist()[1:] == [1, 2, 2, 2, 2, 2]
    assert tx["size"][1].as_py() == len(megatx) == 999_657
    assert batch["blocks"]["coinbase_script"][0].as_py() == b"\x03\x01\x00\x00"


def test_batches_are_canonical_chain_batches() -> None:
    batches = list(read_raw_blocks([FIRST, B574200], batch_blocks=250))
    assert [b.block_count for b in batches] == [250, 250, 91]  # batches span segments
    assert batches[-1]["blocks"]["height"].to_pylist() == [*range(500, 590), 574200]
    assert all(isinstance(b, ChainBatch) and b.family == "utxo" for b in batches)


# Malformed input: one file per error kind; each error names file, record and field.


def _bad(tmp_path: Path, data: bytes, name: str = "bad.blk") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _raises(path: Path, field: str, reason: str, **kwargs: object) -> MalformedRecord:
    with pytest.raises(MalformedRecord, match=reason) as err:
        list(read_raw_blocks(path, **kwargs))  # type: ignore[arg-type]
    assert err.value.path == str(path)
    assert err.value.field == field
    return err.value


SMALL = (BCOIN / "block482683.raw").read_bytes()
SMALL_HASH = "000000000000000000c238240ef6dcb26c37e75e16514e6ffc0aef7eee73e747"


def test_truncated_block(tmp_path: Path) -> None:
    err = _raises(_bad(tmp_path, SMALL[:-2]), "locktime", "truncated")
    assert SMALL_HASH in str(err.record)


def test_bad_magic_in_the_middle_of_a_blk_file(tmp_path: Path) -> None:
    first = _raw_blocks(FIRST)[:3]
    data = _frame(*first[:2]) + _frame(first[2], magic=bytes.fromhex("deadbeef"))
    err = _raises(_bad(tmp_path, data), "magic", "found deadbeef")
    assert err.record == f"byte offset {len(_frame(*first[:2]))}"


def test_size_field_past_end_of_file(tmp_path: Path) -> None:
    first = _raw_blocks(FIRST)[:2]
    data = _frame(*first)[:-10]
    err = _raises(_bad(tmp_path, data), "size", "past the end of the file")
    assert err.record == f"byte offset {len(_frame(first[0]))}"


def test_varint_overflow(tmp_path: Path) -> None:
    data = SMALL[:80] + b"\xff" + b"\xff" * 8 + SMALL[81:]
    _raises(_bad(tmp_path, data), "tx_count", "varint overflow")


def test_tx_count_exceeding_data(tmp_path: Path) -> None:
    data = SMALL[:80] + b"\xfd\xff\xff" + SMALL[81:]
    _raises(_bad(tmp_path, data), "tx_count", "exceeds the data left")


def test_trailing_garbage_inside_a_block(tmp_path: Path) -> None:
    first = _raw_blocks(FIRST)[:3]
    data = _frame(first[0], first[1] + b"\x00\x07", first[2])
    err = _raises(_bad(tmp_path, data), "block", "trailing bytes")
    assert "00000000839a8e6886ab5951d76f411475428afc90947ee320161bbf18eb6048" in str(err.record)


def test_merkle_root_mismatch(tmp_path: Path) -> None:
    data = SMALL[:-1] + bytes([SMALL[-1] ^ 1])  # last locktime byte: same structure
    err = _raises(_bad(tmp_path, data), "merkle_root", "does not match")
    assert SMALL_HASH in str(err.record)


def test_proof_of_work_failure(tmp_path: Path) -> None:
    data = SMALL[:76] + bytes(4) + SMALL[80:]  # nonce zeroed
    _raises(_bad(tmp_path, data), "bits", "proof of work")


def test_first_transaction_not_coinbase(tmp_path: Path) -> None:
    bip69 = bytes.fromhex((BTCD / "bip69-3.hex").read_text())
    _raises(_bad(tmp_path, _wrap([bip69])), "coinbase", "not a coinbase", start_height=1)


def test_network_magic_mismatch(tmp_path: Path) -> None:
    _raises(FIRST, "magic", "expected network magic 0b110907", network="testnet3")
    with pytest.raises(Invalid, match="unknown network"):
        list(read_raw_blocks(FIRST, network="dogecoin"))


def test_corrupt_compressed_file(tmp_path: Path) -> None:
    data = bz2.compress(SMALL)[:200]
    _raises(_bad(tmp_path, data, "cut.raw.bz2"), "compression", "cannot decompress")


def test_parse_block_bytes_names_the_source() -> None:
    with pytest.raises(MalformedRecord) as err:
        parse_block_bytes(SMALL[:-2], height=482683, source="wire")
    assert (err.value.path, err.value.field) == ("wire", "locktime")
    assert "482683" in str(err.value.record)


def test_merkle_roots_of_every_tree_shape() -> None:
    """Odd levels repeat their last node; one batch holds trees of 1 to 70 leaves."""
    sizes = list(range(1, 71))
    leaves = [_dsha(struct.pack("<I", i)) for i in range(sum(sizes))]
    firsts = np.cumsum([0, *sizes[:-1]])
    blk = np.zeros((len(sizes), 6), np.int64)
    blk[:, _blockparse.B_TX], blk[:, _blockparse.B_NTX] = firsts, sizes
    txids = np.frombuffer(b"".join(leaves), np.uint8).reshape(-1, 32)
    roots = _blockparse.block_merkle_roots(txids, blk)
    for row, first, size in zip(roots, firsts, sizes, strict=True):
        level = leaves[first : first + size]
        while len(level) > 1:
            level += level[-1:] * (len(level) % 2)
            level = [_dsha(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
        assert row.tobytes() == level[0]


def test_every_truncation_and_corruption_is_a_malformed_record() -> None:
    """Cut the SegWit block 482,683 anywhere, or flip any byte: a clean error or a parse."""
    for cut in range(0, len(SMALL), 29):
        with pytest.raises(MalformedRecord):
            parse_block_bytes(SMALL[:cut], height=482683)
    rng = random.Random(3)
    for pos in rng.sample(range(len(SMALL)), 300):
        data = bytearray(SMALL)
        data[pos] ^= 1 << rng.randrange(8)
        try:
            parse_block_bytes(bytes(data), height=482683)
        except MalformedRecord as err:
            assert err.field


def test_block_work_matches_core_chainwork() -> None:
    assert _blockparse.block_work(0x1D00FFFF) == 0x100010001  # difficulty 1, as Core counts it
    assert _blockparse.block_work(0) == _blockparse.block_work(0x04800001) == 0  # zero, negative


def test_proof_of_work_kernel_matches_the_integer_target() -> None:
    """The kernel's byte-wise comparison agrees with 2**256 integers at and around the target."""
    rng = random.Random(5)
    cases = [0x1D00FFFF, 0x207FFFFF, 0x03123456, 0x02123456, 0x01003456, 0x21010000, 0x22000001]
    cases += [rng.getrandbits(32) for _ in range(300)]
    for bits in cases:
        target = _blockparse._target(bits)
        for value in (target - 1, target, target + 1, rng.getrandbits(256)):
            if not 0 <= value < 2**256:
                continue
            digest = np.frombuffer(value.to_bytes(32, "little"), np.uint8).reshape(1, 32)
            want = bool(_blockparse.block_work(bits)) and value <= target
            got = _blockparse.first_above_target(digest, np.array([bits], np.uint32)) < 0
            assert got == want, (hex(bits), value)


def test_scattered_real_blocks_keep_their_own_heights() -> None:
    files = [BCOIN / "block300025.raw", HADOOP / "version4.blk", BCOIN / "block482683.raw"]
    scan = scan_raw_blocks(files)
    assert [(s.start_height, len(s.blocks)) for s in scan.segments] == [
        (300025, 1), (403617, 1), (482683, 1),
    ]  # fmt: skip
    assert scan.skipped == ()
    heights = [b["blocks"]["height"].to_pylist() for b in read_raw_blocks(files)]
    assert heights == [[300025, 403617, 482683]]  # parsed together, each at its height
    one_by_one = [b["blocks"]["height"].to_pylist() for b in read_raw_blocks(files, batch_blocks=1)]
    assert one_by_one == [[300025], [403617], [482683]]


def test_a_block_without_height_beside_a_chain_is_an_error_not_a_silent_drop() -> None:
    with pytest.raises(MalformedRecord, match="pass start_height") as err:
        scan_raw_blocks([FIRST, HADOOP / "block176149.blk"])
    assert "00000000000007b2a037eaaefc848e0ad8f41667589f7d5a0aca3e78c8003ac0" in str(err.value)
    scan = scan_raw_blocks([FIRST, HADOOP / "block176149.blk"], start_height=176149)
    assert [(s.start_height, len(s.blocks)) for s in scan.segments] == [(0, 590), (176149, 1)]


def test_batches_are_cut_by_bytes_as_well_as_blocks() -> None:
    files = [BCOIN / "block300025.raw", BCOIN / "block426884.raw", BCOIN / "block482683.raw"]
    sizes = [[b["blocks"]["size"][0].as_py()] for b in read_raw_blocks(files, batch_bytes=1)]
    assert sizes == [[284_231], [996_444], [9_288]]  # one block per batch, however big
    by_bytes = read_raw_blocks(files, batch_bytes=1_285_000)  # the first two: 1,280,675
    assert [b.block_count for b in by_bytes] == [2, 1]
