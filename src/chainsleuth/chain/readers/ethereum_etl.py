"""ethereum-etl / BigQuery ``crypto_ethereum`` exports (CSV or JSON lines) -> account batches.

Accepted files: blocks, transactions, receipts, logs, token_transfers and traces, in CSV
(with header) or JSON lines, including ethereum-etl's stream output (``type``-tagged rows,
transactions carrying ``receipt_*``). Each file's kind is told by its header or first
record, not its name. A directory means every ``*.csv``/``*.json``/``*.jsonl`` in it whose
kind is known; other files there (contracts, tokens, recorded RPC replies) are skipped.
Several files of one kind (block-range partitions) are merged.

- Transactions take their block time from ``block_timestamp`` or, failing that, from the
  blocks given; their receipt fields from ``receipt_*`` columns or a receipts file.
- Token transfers come from the logs given, decoded by
  :func:`chainsleuth.chain.readers._evm.transfers_from_logs` (ERC-20 only: ERC-721
  ``Transfer`` logs move no amount and are left out); token_transfers exports are used
  only when no logs file is given, as they are (they include ERC-721 rows, value = token id).
- Traces keep every row (reward, create and value-less calls too).
- The store needs block rows: give the blocks files with the rest when ingesting. Without
  them a batch's ``blocks`` table is empty.

The files are streamed (see :mod:`._evm_stream`): memory holds about one piece of
``chunk_bytes`` per file and one batch, whatever the size of the export. Rows may come in
any block order: ethereum-etl exports a range in batches on parallel workers and writes
each batch as it finishes. Every file is first scanned for its block numbers (one column
or key, without parsing the rest); a file in order streams as it is, one out of order is
read from a copy sorted on disk (see :mod:`._block_order`). Errors name the original file
and line either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._evm import source_files
from chainsleuth.chain.readers._evm_files import open_source
from chainsleuth.chain.readers._evm_stream import stream_batches

_SUFFIXES = (".csv", ".json", ".jsonl")
CHUNK_BYTES = 16 << 20


def read_ethereum_etl(
    paths: Sequence[Path] | Path,
    *,
    batch_blocks: int = 1000,
    chunk_bytes: int = CHUNK_BYTES,
    tmp_dir: Path | None = None,
) -> Iterator[ChainBatch]:
    """Read ethereum-etl exports into ``account`` batches of ``batch_blocks`` blocks.

    Files are read in pieces of about ``chunk_bytes`` (whole lines). Copies in block order
    of files out of order go under ``tmp_dir`` (default: the system's temporary folder).
    """
    files = source_files(paths, _SUFFIXES)
    opened = [
        open_source(p, explicit=e, chunk_bytes=chunk_bytes, tmp_dir=tmp_dir) for p, e in files
    ]
    sources = [s for s in opened if s is not None]
    if any(s.kind == "logs" for s in sources):  # transfers are decoded from the logs
        sources = [s for s in sources if s.kind != "token_transfers"]
    source = ", ".join(str(p) for p, _ in files)
    yield from stream_batches(sources, batch_blocks=batch_blocks, source=source)
