"""The ethereum-etl reader streams: pieces of any size give the same batches, the first
batches come before the end of the files is read, and files out of block order (as
ethereum-etl's parallel batches leave them) read as the same files in order.

Inputs: ethereum-etl's real exports (../shared/data/eth-ethereum-etl) and the simulator's
classroom world, whose ``eth/`` folder is an ethereum-etl CSV export of 61 blocks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from tests.chain.readers.test_block_order import (
    batches_permuted,
    csv_block,
    json_block,
    moves,
    scattered,
)

from chainsleuth.chain.amounts import amount_value
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._block_order import block_order, csv_layout
from chainsleuth.chain.readers.ethereum_etl import read_ethereum_etl
from chainsleuth.errors import MalformedRecord
from chainsleuth.simulate import simulate_world

TABLES = ("blocks", "transactions", "traces", "token_transfers")
KINDS = ("blocks", "transactions", "token_transfers")
FILES = (*KINDS, "traces")  # the files of the world's export


@pytest.fixture(scope="module")
def eth(data_dir: Path) -> Path:
    return data_dir / "eth-ethereum-etl"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    simulate_world(out, preset="classroom", seed=5)
    return out / "eth"


def concat(batches: list[ChainBatch]) -> dict[str, pa.Table]:
    return {t: pa.concat_tables([b[t] for b in batches]) for t in TABLES}


def heights(batches: list[ChainBatch]) -> list[list[int]]:
    return [b["blocks"]["number"].to_pylist() for b in batches]


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def write(path: Path, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize(
    "case",
    [
        "test_stream/blocks_17173049_17173050",  # JSON lines, logs decoded
        "test_export_blocks_job/blocks_with_transactions_and_withdrawals",  # CSV + JSON copy
    ],
)
def test_pieces_of_one_line_give_the_same_batches(eth: Path, case: str) -> None:
    whole = list(read_ethereum_etl(eth / case, batch_blocks=1))
    one_line = list(read_ethereum_etl(eth / case, batch_blocks=1, chunk_bytes=1))
    assert heights(one_line) == heights(whole) and len(whole) == 2
    assert concat(one_line) == concat(whole)


def test_world_in_small_pieces_equals_the_whole_read(world: Path) -> None:
    whole = list(read_ethereum_etl(world, batch_blocks=7))
    small = list(read_ethereum_etl(world, batch_blocks=7, chunk_bytes=4096))
    cuts = [list(range(i, min(i + 7, 61))) for i in range(0, 61, 7)]
    assert heights(small) == heights(whole) == cuts
    for a, b in zip(small, whole, strict=True):
        assert all(a[t].equals(b[t]) for t in TABLES)


def partitions(world: Path, out: Path, size: int = 20) -> list[Path]:
    """The export cut into block ranges (start_block=/end_block=), as export_all writes it."""
    files = []
    for kind in KINDS:
        header, *rows = lines(world / f"{kind}.csv")
        key = header.split(",").index("number" if kind == "blocks" else "block_number")
        for start in range(0, 61, size):
            part = [r for r in rows if start <= int(r.split(",")[key]) < start + size]
            folder = out / f"start_block={start:08d}" / f"end_block={start + size - 1:08d}"
            files.append(write(folder / f"{kind}.csv", [header, *part]))
    return files


def test_partitions_are_merged_in_any_order(world: Path, tmp_path: Path) -> None:
    merged = list(read_ethereum_etl(partitions(world, tmp_path)[::-1], batch_blocks=25))
    assert heights(merged) == [list(range(0, 25)), list(range(25, 50)), list(range(50, 61))]
    whole = read_ethereum_etl([world / f"{kind}.csv" for kind in KINDS], batch_blocks=25)
    assert concat(merged) == concat(list(whole))


def test_later_partitions_are_read_after_the_first_batch(world: Path, tmp_path: Path) -> None:
    files = partitions(world, tmp_path)
    last = tmp_path / "start_block=00000040" / "end_block=00000059" / "transactions.csv"
    rows = lines(last)
    write(last, [*rows[:5], "0x12,3", *rows[5:]])
    batches = read_ethereum_etl(files, batch_blocks=10)
    assert heights([next(batches), next(batches)]) == [list(range(10)), list(range(10, 20))]
    with pytest.raises(MalformedRecord) as err:
        list(batches)
    assert (err.value.path, err.value.record) == (str(last), "line 6")


def test_first_batches_come_before_a_bad_row_at_the_end(world: Path, tmp_path: Path) -> None:
    for kind in ("blocks", "token_transfers"):
        write(tmp_path / f"{kind}.csv", lines(world / f"{kind}.csv"))
    txs = lines(world / "transactions.csv")
    bad = write(tmp_path / "transactions.csv", [*txs[:-1], txs[-1][:90]])
    batches = read_ethereum_etl(tmp_path, batch_blocks=5, chunk_bytes=4096)
    first = next(batches)
    assert first["blocks"]["number"].to_pylist() == [0, 1, 2, 3, 4]
    assert first["transactions"].num_rows > 0
    assert heights([next(batches), next(batches)]) == [list(range(5, 10)), list(range(10, 15))]
    with pytest.raises(MalformedRecord) as err:
        list(batches)
    assert (err.value.path, err.value.record) == (str(bad), f"line {len(txs)}")


def test_row_repeated_out_of_block_order_is_sorted_in_and_kept_once(
    world: Path, tmp_path: Path
) -> None:
    txs = lines(world / "transactions.csv")
    late = write(tmp_path / "transactions.csv", [*txs, txs[1]])  # a block-0 row at the end
    got = list(read_ethereum_etl([world / "blocks.csv", late], chunk_bytes=4096))
    want = list(read_ethereum_etl([world / "blocks.csv", world / "transactions.csv"]))
    assert concat(got) == concat(want)


def test_json_numbers_keep_every_digit(eth: Path, tmp_path: Path) -> None:
    """Beyond int64 (decimal256), beyond 76 digits (the line-by-line path) and as text."""
    src = eth / "test_stream/blocks_17173049_17173050/expected_token_transfers.json"
    records = [json.loads(line) for line in lines(src)]
    big = {3: 2**256 - 1, 4: 10**30 + 7, 5: "12345"}
    for index, value in big.items():
        records[index]["value"] = value
    path = write(tmp_path / "tt.json", [json.dumps(r) for r in records])
    for chunk in (1 << 20, 2000):
        table = concat(list(read_ethereum_etl(path, chunk_bytes=chunk)))["token_transfers"]
        values = table["value"].to_pylist()
        overflow = table["value_overflow"].to_pylist()
        got = {i: amount_value(values[i], overflow[i]) for i in big}
        assert got == {i: int(v) for i, v in big.items()}
        assert table.num_rows == len(records)


def reorder(rows: list[str], column: int, how: str) -> list[str]:
    """Rows as ethereum-etl's workers write them (runs of 10 blocks, runs shuffled), or anyhow."""
    if how == "batches":
        return batches_permuted(rows, csv_block(column), size=10)
    return scattered(rows)


def out_of_order(world: Path, out: Path, how: str, kinds: tuple[str, ...] = FILES) -> list[Path]:
    files = []
    for kind in kinds:
        header, *rows = lines(world / f"{kind}.csv")
        key = header.split(",").index("number" if kind == "blocks" else "block_number")
        files.append(write(out / f"{kind}.csv", [header, *reorder(rows, key, how)]))
        in_order = kind == "traces"  # all of block 0 (genesis allocations): nothing to sort
        assert block_order(files[-1], csv_layout(key)).ordered == in_order
    return files


def same_batches(got: list[ChainBatch], want: list[ChainBatch], *, exact: bool) -> None:
    """Equal batches; without ``exact``, rows of a block may come in another order."""
    assert heights(got) == heights(want)
    for a, b in zip(got, want, strict=True):
        for t in TABLES:
            if exact:
                assert a[t].equals(b[t]), t
            else:
                assert sorted(map(repr, a[t].to_pylist())) == sorted(map(repr, b[t].to_pylist()))


@pytest.mark.parametrize("how", ["batches", "scattered"])
def test_csv_out_of_block_order_reads_as_in_order(world: Path, tmp_path: Path, how: str) -> None:
    files = out_of_order(world, tmp_path, how)
    got = list(read_ethereum_etl(files, batch_blocks=7, tmp_dir=tmp_path / "tmp"))
    same_batches(got, list(read_ethereum_etl(world, batch_blocks=7)), exact=how == "batches")
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.mark.parametrize("how", ["batches", "scattered"])
def test_json_lines_out_of_block_order_read_as_in_order(
    eth: Path, tmp_path: Path, how: str
) -> None:
    """ethereum-etl's stream output of blocks 17173049-17173050, the two blocks swapped."""
    folder = eth / "test_stream/blocks_17173049_17173050"
    for src in folder.glob("*.json"):
        rows = lines(src)
        if how == "batches":
            rows = batches_permuted(rows, json_block, size=1)
        write(tmp_path / "in" / src.name, scattered(rows) if how == "scattered" else rows)
    got = list(read_ethereum_etl(tmp_path / "in", batch_blocks=1, tmp_dir=tmp_path / "tmp"))
    same_batches(got, list(read_ethereum_etl(folder, batch_blocks=1)), exact=how == "batches")
    assert heights(got) == [[17173049], [17173050]]


def test_bad_rows_in_shuffled_files_name_their_own_line(
    world: Path, eth: Path, tmp_path: Path
) -> None:
    blocks, txs, transfers, traces = out_of_order(world, tmp_path, "batches")
    rows = lines(txs)
    assert moves(rows[1:], 899, csv_block(3)) and moves(rows[1:], 1199, csv_block(3))
    cells = rows[900].split(",")
    rows[900] = ",".join([*cells[:7], "12x", *cells[8:]])  # value
    rows[1200] = rows[1200][:90]  # too few columns, and no block number
    write(txs, rows)
    files, tmp = [blocks, txs, transfers, traces], tmp_path / "tmp"
    with pytest.raises(MalformedRecord) as err:
        list(read_ethereum_etl(files, tmp_dir=tmp))
    assert (err.value.path, err.value.record) == (str(txs), "line 1201")  # sorted first
    rows[1200] = lines(world / "transactions.csv")[5]
    write(txs, rows)
    with pytest.raises(MalformedRecord, match="not a non-negative integer") as err:
        list(read_ethereum_etl(files, tmp_dir=tmp))
    assert (err.value.path, err.value.record, err.value.field) == (str(txs), "line 901", "value")
    src = eth / "test_stream/blocks_17173049_17173050/expected_logs.json"
    logs = batches_permuted(lines(src), json_block, size=1)
    assert moves(logs, 20, json_block)
    logs[20] = logs[20].replace('"data": ', '"data" ')
    bad = write(tmp_path / "logs.json", logs)
    with pytest.raises(MalformedRecord, match="Expecting ':' delimiter") as err:
        list(read_ethereum_etl(bad, tmp_dir=tmp))
    assert (err.value.path, err.value.record) == (str(bad), "line 21")
    assert list(tmp.iterdir()) == []


def test_only_files_out_of_order_are_copied(world: Path, tmp_path: Path) -> None:
    tmp = tmp_path / "tmp"
    assert len(list(read_ethereum_etl(world, batch_blocks=7, tmp_dir=tmp))) == 9
    assert not tmp.exists()  # every file read in place
    late = out_of_order(world, tmp_path, "batches", kinds=("transactions",))
    files = [world / "blocks.csv", *late, world / "token_transfers.csv"]
    batches = read_ethereum_etl(files, batch_blocks=7, tmp_dir=tmp)
    next(batches)
    assert [p.name for p in tmp.glob("*/*.csv")] == ["transactions.csv"]
    batches.close()  # given up half-way: the copy goes too
    assert list(tmp.iterdir()) == []
