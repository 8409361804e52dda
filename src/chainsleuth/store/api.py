"""The chain store's front door: :func:`open_store` and :class:`ChainStore`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path

import duckdb
import numpy as np

from chainsleuth.analysis.graph import AccountGraph, UtxoGraph
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.store import catalog, csr, graph_arrays, query
from chainsleuth.store import manifest as mf
from chainsleuth.store.csr import CsrGraph
from chainsleuth.store.errors import StoreLocked
from chainsleuth.store.ingest import DEFAULT_UNIT_ROWS, ingest
from chainsleuth.store.layout import MANIFEST, Staging, remove_unreferenced, writer_lock
from chainsleuth.store.lookup import Lookup
from chainsleuth.store.models import AccountTransactionInfo, AddressInfo, BlockInfo, TransactionInfo
from chainsleuth.store.reports import ChainInfo, IngestProgress, IngestReport, StoreStats
from chainsleuth.store.state import BLOCK_COLUMNS


def open_store(path: Path, *, create: bool = True) -> ChainStore:
    """Open the store at ``path`` (creating it if asked) and clear what a crash left."""
    path = Path(path).absolute()
    if not (path / MANIFEST).exists():
        if not create:
            raise NotFound(f"{path}: no chain store here")
        path.mkdir(parents=True, exist_ok=True)
    store = ChainStore(path)
    store.recover()
    return store


class ChainStore:
    """Parquet partitions + DuckDB catalog + id maps and CSR arrays; see docs/store.md."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lookups: dict[str, tuple[int, Lookup]] = {}  # chain -> (generation, look-up)

    def _manifest(self) -> mf.ManifestData:
        return mf.load(self.root)

    def recover(self) -> int:
        """Remove files no manifest names (a crash's leftovers); skipped while a writer runs."""
        try:
            with writer_lock(self.root):
                return remove_unreferenced(self.root, mf.referenced_files(self._manifest()))
        except StoreLocked:
            return 0

    def ingest(
        self,
        batches: Iterable[ChainBatch],
        *,
        chain: str,
        network: str = "mainnet",
        progress: Callable[[IngestProgress], None] | None = None,
        unit_rows: int = DEFAULT_UNIT_ROWS,
    ) -> IngestReport:
        """Add ``batches`` to ``chain``; one commit per ~``unit_rows`` rows (see ingest)."""
        with writer_lock(self.root):
            remove_unreferenced(self.root, mf.referenced_files(self._manifest()))
            return ingest(
                self.root,
                batches,
                chain=chain,
                network=network,
                progress=progress,
                unit_rows=unit_rows,
            )

    def chains(self) -> list[ChainInfo]:
        out = []
        for name, e in sorted(self._manifest()["chains"].items()):
            lo = min((b["min_height"] for b in e["batches"]), default=None)
            hi = max((b["max_height"] for b in e["batches"]), default=None)
            c = e["counts"]
            out.append(
                ChainInfo(
                    name, e["family"], e["network"], lo, hi, c["blocks"], c["txs"], c["addresses"]
                )
            )
        return out

    def stats(self, chain: str) -> StoreStats:
        data = self._manifest()
        e = mf.chain_entry(data, chain)
        heights = self._heights(chain, e["family"])
        gaps: list[tuple[int, int]] = []
        if len(heights) > 1:
            jump = np.flatnonzero(np.diff(heights) > 1)
            gaps = [(int(heights[i] + 1), int(heights[i + 1] - 1)) for i in jump]
        prefix = f"chains/{chain}/"
        size = sum(
            (self.root / f).stat().st_size
            for f in mf.referenced_files(data)
            if f.startswith(prefix)
        )
        c = e["counts"]
        return StoreStats(
            chain,
            e["family"],
            c["blocks"],
            int(heights[0]) if len(heights) else None,
            int(heights[-1]) if len(heights) else None,
            gaps,
            c["txs"],
            c["inputs"],
            c["outputs"],
            c["addresses"],
            sum(b["unresolved"] for b in e["batches"]),
            sum(b["fees"] for b in e["batches"]),
            size,
        )

    def _heights(self, chain: str, family: str) -> np.typing.NDArray[np.int64]:
        if not mf.chain_entry(self._manifest(), chain)["batches"]:
            return np.zeros(0, np.int64)
        col = BLOCK_COLUMNS["utxo" if family == "utxo" else "account"][0]
        with self.connect() as con:
            rows = con.execute(f"SELECT {col} FROM {chain}_blocks ORDER BY 1").fetchnumpy()
        return np.asarray(rows[col], np.int64)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only DuckDB connection with the ``<chain>_<table>`` views."""
        return catalog.connect(self.root, self._manifest())

    def family(self, chain: str) -> str:
        """``utxo`` or ``account``; :class:`UnknownChain` when the store has no such chain."""
        return mf.chain_entry(self._manifest(), chain)["family"]

    def _family(self, chain: str) -> tuple[str, str]:
        e = mf.chain_entry(self._manifest(), chain)
        if not e["batches"]:
            raise NotFound(f"chain {chain!r} is empty")
        return e["family"], e["network"]

    @cached_property
    def _files(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB for reads of named partitions: no catalog to open."""
        return duckdb.connect()

    def block(self, chain: str, height_or_hash: int | str) -> BlockInfo:
        family, _ = self._family(chain)
        with self._files.cursor() as con:
            return query.block(con, self._lookup(chain), chain, family, height_or_hash)

    def transaction(self, chain: str, txid_hex: str) -> TransactionInfo | AccountTransactionInfo:
        family, network = self._family(chain)
        with self._files.cursor() as con:
            if family == "utxo":
                return query.transaction(con, self._lookup(chain), chain, network, txid_hex)
            return query.account_transaction(con, self._lookup(chain), chain, txid_hex)

    def address(
        self, chain: str, address: str | bytes, *, limit: int = 20, offset: int = 0
    ) -> AddressInfo:
        """Totals and recent transactions of an address (text, or raw address key bytes)."""
        family, network = self._family(chain)
        lk = self._lookup(chain)
        if family == "utxo":
            with self._files.cursor() as con:
                return query.utxo_address(
                    con, lk, chain, network, address, limit=limit, offset=offset
                )
        with self.connect() as con:
            return query.account_address(con, lk, chain, address, limit=limit, offset=offset)

    def address_labels(self, chain: str, addr_ids: Iterable[int]) -> dict[int, str]:
        """Display text of addresses by addr_id (for results that carry ids)."""
        family, network = self._family(chain)
        return query.address_labels(
            self._lookup(chain), family, network, [int(i) for i in addr_ids]
        )

    def tx_hashes(self, chain: str, tx_ids: Iterable[int]) -> dict[int, str]:
        """Transaction hashes (hex) by tx_id."""
        self._family(chain)
        return query.tx_hashes(self._lookup(chain), [int(i) for i in tx_ids])

    def tx_id(self, chain: str, txid_hex: str) -> int:
        """The tx_id of a transaction hash; NotFound when it is not stored."""
        self._family(chain)
        return query.tx_id_of(self._lookup(chain), chain, txid_hex)

    def _lookup(self, chain: str) -> Lookup:
        """The chain's look-up, kept while the manifest generation stays (maps stay mapped)."""
        data = self._manifest()
        held = self._lookups.get(chain)
        if held is None or held[0] != data["generation"]:
            held = (
                data["generation"],
                Lookup(self.root / "chains" / chain, mf.chain_entry(data, chain)),
            )
            self._lookups[chain] = held
        return held[1]

    def build_index(self, chain: str) -> CsrGraph:
        """Build the CSR and graph arrays of ``chain`` from its partitions and commit them."""
        with writer_lock(self.root):
            data = self._manifest()
            entry = mf.chain_entry(data, chain)
            seq = entry["next_seq"]
            entry["next_seq"] = seq + 1
            rel = f"index-{seq}"
            staging = Staging(self.root)
            chain_dir = self.root / "chains" / chain
            try:
                if entry["family"] == "utxo":
                    csr.build_utxo(staging, f"chains/{chain}/{rel}", chain_dir, entry)
                    graph_arrays.write_utxo(staging, f"chains/{chain}/{rel}", chain_dir, entry)
                else:
                    graph_arrays.write_account(staging, f"chains/{chain}/{rel}", chain_dir, entry)
                csr.write_meta(staging, f"chains/{chain}/{rel}", entry, data["generation"] + 1)
                staging.publish()
            except BaseException:
                staging.discard()
                raise
            entry["index"] = rel
            data = mf.commit(self.root, data)
            remove_unreferenced(self.root, mf.referenced_files(data))
        return self.graph(chain)

    def graph(self, chain: str) -> CsrGraph:
        """The CSR arrays last built by :meth:`build_index` (memory-mapped)."""
        return csr.load(self._index_dir(chain, None))

    def utxo_graph(self, chain: str) -> UtxoGraph:
        """The :class:`UtxoGraph` arrays last built by :meth:`build_index` (memory-mapped)."""
        return graph_arrays.load_utxo(self._index_dir(chain, "utxo"))

    def account_graph(self, chain: str) -> AccountGraph:
        """The :class:`AccountGraph` edges last built by :meth:`build_index` (memory-mapped)."""
        return graph_arrays.load_account(self._index_dir(chain, "account"))

    def _index_dir(self, chain: str, family: str | None) -> Path:
        entry = mf.chain_entry(self._manifest(), chain)
        if family is not None and entry["family"] != family:
            raise Invalid(f"chain {chain!r} is a {entry['family']} chain, not {family}")
        if not entry["index"]:
            raise NotFound(f"chain {chain!r}: no graph index; run build_index first")
        return self.root / "chains" / chain / entry["index"]
