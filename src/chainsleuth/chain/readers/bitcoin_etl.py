"""bitcoin-etl and BigQuery ``crypto_bitcoin`` exports: JSON lines and CSV tables.

bitcoin-etl's ``export_blocks_and_transactions`` writes ``blocks.json`` and
``transactions.json`` (inputs and outputs nested); its stream form tags each line with
``type`` and may mix both kinds in one file. BigQuery tables come flat: ``blocks``,
``transactions``, ``inputs`` and ``outputs`` (joined on ``transaction_hash``), nested cells
as JSON text. Files are recognised by their keys or CSV header, not by name.

Facts of the format the canonical rows depend on:

- Amounts are satoshi integers (BigQuery NUMERIC text such as ``"50.000000000"`` too).
- ``nonce`` and ``bits`` are hex text; ``timestamp`` is Unix seconds or BigQuery's
  ``2009-01-03 18:15:05 UTC``.
- Output scripts are classified from ``script_hex``; an input's spent output is only
  described by ``type``/``addresses``/``value`` (enriched exports): its address key comes
  from the address text (for ``pubkey`` the P2PKH text, which is the key
  :func:`~chainsleuth.chain.address.address_key` folds P2PK into); multisig and
  non-standard spent outputs have no address key here.
- The coinbase input is not exported; it is emitted with sequence ``0xffffffff``.
- Blocks carry no parent hash: ``prev_hash`` comes from the block one lower in the same
  read, checked by hashing the rebuilt header; when that block is not in the read it is
  null ("not known here"; the genesis block's is all zeros, as in its header).
- Transactions without ``index`` (BigQuery has none) keep their file order, coinbase first.

bitcoin-etl's own JSON lines (numbers as numbers, inputs/outputs nested) stream: they are
parsed in chunks by pyarrow and converted column by column, batch by batch, holding only
the blocks not yet complete (:mod:`~chainsleuth.chain.readers._etl_stream`). Each file is
first scanned for its block order; one whose lines are not in block order (bitcoin-etl
writes its parallel batches as they finish) is read from a copy sorted on disk
(:mod:`~chainsleuth.chain.readers._block_order`), errors still naming its own lines. CSV
tables and other JSON shapes are read whole, record by record
(:mod:`~chainsleuth.chain.readers._etl_tables`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._etl_json import streamable
from chainsleuth.chain.readers._etl_stream import stream_json
from chainsleuth.chain.readers._etl_tables import is_etl_file, read_tables
from chainsleuth.chain.readers._utxo_rows import expand_paths

_PATTERNS = ("*.json", "*.jsonl", "*.csv")


def _files(paths: Sequence[Path] | Path) -> list[Path]:
    """Files named, and the bitcoin-etl files of folders named."""
    named = [paths] if isinstance(paths, Path) else [Path(p) for p in paths]
    files: list[Path] = []
    for path in named:
        found = expand_paths(path, _PATTERNS)
        files.extend(f for f in found if not path.is_dir() or is_etl_file(f))
    return files


def read_bitcoin_etl(
    paths: Sequence[Path] | Path, *, batch_blocks: int = 500, tmp_dir: Path | None = None
) -> Iterator[ChainBatch]:
    """Read bitcoin-etl / BigQuery ``crypto_bitcoin`` exports, blocks sorted by height.

    ``paths`` are files or folders (their ``*.json``, ``*.jsonl``, ``*.csv`` files whose
    first record or header is bitcoin-etl's; other files there are skipped).
    A read without any transaction record yields blocks only. Copies in block order of
    JSON-lines files out of order go under ``tmp_dir`` (default: the system's).
    """
    files = _files(paths)
    if files and all(streamable(f) for f in files):
        yield from stream_json(files, batch_blocks, tmp_dir=tmp_dir)
    else:
        yield from read_tables(files, batch_blocks)
