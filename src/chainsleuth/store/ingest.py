"""Ingest: stream ChainBatches into the store, one crash-safe commit per unit of work.

Incoming batches are validated, stripped of blocks already stored (by hash) and gathered
into units of about ``unit_rows`` rows. A unit's files are written under ``tmp/``,
fsynced, renamed into place, and only then named by a new manifest generation; files the
manifest does not name are removed on the next open. A block at a stored height with
another hash is a reorg: the batches from the first one holding a height >= the fork are
rolled back, their blocks below the fork replayed and the new blocks added, all in the
same single commit.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from chainsleuth.chain.batch import SCHEMAS, ChainBatch, Family
from chainsleuth.errors import Invalid
from chainsleuth.store import account, utxo
from chainsleuth.store import manifest as mf
from chainsleuth.store.layout import Staging, remove_unreferenced
from chainsleuth.store.manifest import BatchRecord, ManifestData
from chainsleuth.store.reports import IngestProgress, IngestReport, Reorg
from chainsleuth.store.resolve import Resolution, count_status, resolve_inputs, tx_fees
from chainsleuth.store.state import BLOCK_COLUMNS, ChainState

PAUSE_ENV = "CHAINSLEUTH_STORE_PAUSE"  # "<step>:<file>": tests pause here to SIGKILL us
DEFAULT_UNIT_ROWS = 500_000


def _pause(step: str) -> None:
    spec = os.environ.get(PAUSE_ENV, "")
    name, _, path = spec.partition(":")
    if name == step:
        Path(path).write_text(step, encoding="utf-8")
        time.sleep(600)


def _rows(batch: ChainBatch) -> int:
    return sum(t.num_rows for t in batch.tables.values())


def _concat(family: Family, batches: list[ChainBatch]) -> ChainBatch:
    tables = {n: pa.concat_tables([b[n] for b in batches]) for n in SCHEMAS[family]}
    return ChainBatch(family, tables, ", ".join(sorted({b.source for b in batches if b.source})))


class Ingest:
    """One ``ChainStore.ingest`` call (the writer lock is held by the caller)."""

    def __init__(
        self,
        root: Path,
        chain: str,
        network: str,
        progress: Callable[[IngestProgress], None] | None,
        unit_rows: int = DEFAULT_UNIT_ROWS,
    ) -> None:
        self.root, self.chain, self.network = root, mf.check_chain_name(chain), network
        self.progress, self.unit_rows = progress, unit_rows
        self.data: ManifestData = mf.load(root)
        self.state: ChainState | None = None
        if chain in self.data["chains"]:
            self.state = ChainState(root, chain, self.data["chains"][chain])
        self.pending: list[ChainBatch] = []
        self.done: dict[str, int] = dict.fromkeys(
            ("blocks", "skipped", "txs", "inputs", "outputs", "addresses", "late", "bytes"), 0
        )
        self.reorgs: list[Reorg] = []

    def _state(self, family: Family) -> ChainState:
        if self.state is None:
            entry = mf.new_chain(family, self.network)
            self.state = ChainState(self.root, self.chain, entry)
        if self.state.family != family:
            raise Invalid(f"chain {self.chain!r} is {self.state.family}, got a {family} batch")
        return self.state

    def add(self, batch: ChainBatch) -> None:
        state = self._state(batch.family)
        keep, fork = state.classify(self.chain, batch)
        if fork is not None:
            self.flush()
            self._reorg(batch, fork)
            return
        ordered = _family(state.family).order_batch(self.chain, batch, keep)
        self.done["skipped"] += int((~keep).sum())
        if ordered.block_count:
            self.pending.append(ordered)
            state.add_blocks(ordered)
        if sum(_rows(b) for b in self.pending) >= self.unit_rows:
            self.flush()

    def flush(self) -> None:
        if self.pending and self.state is not None:
            unit = _concat(self.state.family, self.pending)
            self.pending = []
            self._commit(unit, set())

    def _reorg(self, batch: ChainBatch, fork: int) -> None:
        old = self.state
        assert old is not None
        batches = old.entry["batches"]
        k = next(i for i, b in enumerate(batches) if b["max_height"] >= fork)
        dropped = batches[k:]
        replay = [self._read_back(old, b, fork) for b in dropped]
        rolled = old.entry.copy()
        rolled["batches"] = batches[:k]
        rolled["counts"] = dict(dropped[0]["base"])
        state = ChainState(self.root, self.chain, rolled)
        state.txmap.truncate(rolled["counts"]["txs"])
        state.addrmap.truncate(rolled["counts"]["addresses"])
        for r in replay:
            state.add_blocks(r)
        self.state = state
        keep, _ = state.classify(self.chain, batch)
        new = _family(state.family).order_batch(self.chain, batch, keep)
        marked = {
            b["seq"] for b in rolled["batches"] if b["max_prev_out"] >= rolled["counts"]["outputs"]
        }
        self._commit(_concat(state.family, [*replay, new]), marked)
        n_dropped = sum(b["added"]["blocks"] for b in dropped)
        n_replayed = sum(r.block_count for r in replay)
        self.reorgs.append(Reorg(fork, n_dropped - n_replayed, n_replayed))

    def _read_back(self, state: ChainState, rec: BatchRecord, fork: int) -> ChainBatch:
        """The canonical tables of a stored batch, blocks below ``fork`` only."""
        schemas = SCHEMAS[state.family]
        tables = {}
        for name, schema in schemas.items():
            t = pq.read_table(state.dir / rec["files"][name], columns=schema.names)
            tables[name] = pa.Table.from_arrays(t.columns, schema=schema)
        batch = ChainBatch(state.family, tables, f"replay of batch {rec['seq']}")
        heights = batch["blocks"][BLOCK_COLUMNS[state.family][0]].to_numpy()
        ordered: ChainBatch = _family(state.family).order_batch(self.chain, batch, heights < fork)
        return ordered

    def _next_seq(self) -> int:
        assert self.state is not None
        seq = self.state.entry["next_seq"]
        self.state.entry["next_seq"] = seq + 1
        return seq

    def _commit(self, batch: ChainBatch, marked: set[int]) -> None:
        state = self.state
        assert state is not None
        if state.family == "utxo":
            unit = utxo.build_unit(batch, state.seg, state.txmap, state.addrmap)
        else:
            unit = account.build_unit(batch, state.txmap, state.addrmap)
        staging = Staging(self.root)
        try:
            if state.family == "utxo" and (unit.added["txs"] or marked):
                self.done["late"] += self._resolve_pass(staging, marked)
            record = self._write_unit(staging, batch, unit)
            self._write_runs(staging)
            entry = state.entry
            entry["batches"].append(record)
            entry["counts"] = {k: v + unit.added[k] for k, v in record["base"].items()}
            self.data["chains"][self.chain] = entry
            _pause("staged")
            staging.publish()
        except BaseException:
            staging.discard()
            raise
        _pause("published")
        self.data = mf.commit(self.root, self.data)
        _pause("committed")
        remove_unreferenced(self.root, mf.referenced_files(self.data))
        self._count(unit.added, staging)

    def _write_unit(self, staging: Staging, batch: ChainBatch, unit: utxo.Unit) -> BatchRecord:
        state = self.state
        assert state is not None
        prefix = f"chains/{self.chain}/"
        files: dict[str, str] = {}
        for name, table in unit.tables.items():
            files[name] = f"{name}/part-{self._next_seq()}.parquet"
            staging.parquet(prefix + files[name], table)
        files["arrays"] = f"batches/{self._next_seq()}"
        for name, arr in unit.arrays.items():
            staging.npy(f"{prefix}{files['arrays']}/{name}.npy", arr)
        heights = batch["blocks"][BLOCK_COLUMNS[state.family][0]].to_numpy()
        return BatchRecord(
            seq=self._next_seq(),
            base=dict(state.entry["counts"]),
            added=unit.added,
            files=files,
            min_height=int(heights.min()),
            max_height=int(heights.max()),
            unresolved=unit.stats["unresolved"],
            from_source=unit.stats["from_source"],
            max_prev_out=unit.stats["max_prev_out"],
            fees=unit.stats["fees"],
        )

    def _write_runs(self, staging: Staging) -> None:
        state = self.state
        assert state is not None
        for kind, imap in (("tx", state.txmap), ("addr", state.addrmap)):
            for run in imap.runs:
                if run.prefix is None:
                    run.prefix = f"runs/{kind}-{self._next_seq()}"
                    staging.npy(f"chains/{self.chain}/{run.prefix}.h.npy", run.h)
                    staging.npy(f"chains/{self.chain}/{run.prefix}.i.npy", run.ids)
            state.entry["runs"][kind] = [r.prefix for r in imap.runs if r.prefix]

    def _resolve_pass(self, staging: Staging, marked: set[int]) -> int:
        """Re-resolve stored inputs that the new outputs (or a rollback) affect; count gains."""
        state = self.state
        assert state is not None
        late = 0
        for rec in state.entry["batches"]:
            if not (rec["unresolved"] + rec["from_source"] or rec["seq"] in marked):
                continue
            late += self._reresolve(staging, rec)
        return late

    def _reresolve(self, staging: Staging, rec: BatchRecord) -> int:
        state = self.state
        assert state is not None
        schema = SCHEMAS["utxo"]["inputs"]
        inputs = pq.read_table(state.dir / rec["files"]["inputs"])
        old_status = inputs["resolution"].to_numpy()
        coinbase = old_status == Resolution.COINBASE
        res = resolve_inputs(
            inputs.select(schema.names), coinbase, state.seg, state.txmap, state.addrmap
        )
        old_prev = inputs["prev_out"].fill_null(-1).to_numpy()
        if np.array_equal(res.status, old_status) and np.array_equal(res.prev_out, old_prev):
            return 0
        table = inputs.select([*schema.names, "tx_id"])
        for name, arr in res.columns().items():
            table = table.append_column(name, arr)
        txs = pq.read_table(state.dir / rec["files"]["transactions"])
        counts = txs["input_count"].to_numpy().astype(np.int64)
        start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        cb = txs["is_coinbase"].to_numpy(zero_copy_only=False)
        input_value, fee = tx_fees(start, txs["output_value"].to_numpy(), cb, res)
        txs = txs.set_column(txs.schema.get_field_index("input_value"), "input_value", input_value)
        txs = txs.set_column(txs.schema.get_field_index("fee"), "fee", fee)
        for name, table_ in (("inputs", table), ("transactions", txs)):
            rec["files"][name] = f"{name}/part-{self._next_seq()}.parquet"
            staging.parquet(f"chains/{self.chain}/{rec['files'][name]}", table_)
        rec["unresolved"], rec["from_source"], rec["max_prev_out"] = count_status(res)
        rec["fees"] = int(pa.compute.sum(fee).as_py() or 0)
        gained = (old_status == Resolution.UNRESOLVED) & (res.status != Resolution.UNRESOLVED)
        return int(gained.sum())

    def _count(self, added: dict[str, int], staging: Staging) -> None:
        for k in ("blocks", "txs", "inputs", "outputs", "addresses"):
            self.done[k] += added[k]
        self.done["bytes"] += sum((self.root / f).stat().st_size for f in staging.files)
        if self.progress is not None:
            self.progress(
                IngestProgress(self.done["blocks"], None, self.done["txs"], self.done["bytes"])
            )

    def report(self) -> IngestReport:
        d = self.done
        return IngestReport(
            chain=self.chain,
            blocks_added=d["blocks"],
            blocks_skipped=d["skipped"],
            txs_added=d["txs"],
            inputs_added=d["inputs"],
            outputs_added=d["outputs"],
            addresses_added=d["addresses"],
            inputs_resolved_late=d["late"],
            reorgs=list(self.reorgs),
            generation=self.data["generation"],
        )


def _family(family: Family) -> Any:
    return utxo if family == "utxo" else account


def ingest(
    root: Path,
    batches: Iterable[ChainBatch],
    *,
    chain: str,
    network: str,
    progress: Callable[[IngestProgress], None] | None,
    unit_rows: int = DEFAULT_UNIT_ROWS,
) -> IngestReport:
    """Ingest ``batches`` into chain ``chain`` of the store at ``root`` (lock held)."""
    job = Ingest(root, chain, network, progress, unit_rows)
    for batch in batches:
        job.add(batch)
    job.flush()
    return job.report()
