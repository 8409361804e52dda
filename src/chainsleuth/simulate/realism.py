"""How the generated UTXO chain compares with real mainnet blocks, distribution by distribution.

Every measure is taken from canonical tables (so the real blocks go through the same raw
block reader as the world), over non-coinbase transactions: outputs and inputs per
transaction, output values by decade of satoshi, the share of round amounts (at most two
significant digits), address reuse (outputs paying an address paid before in the sample) and
where the change sits in two-output payments (the output that is not round, when exactly
one is: the round one is taken for the payment, a heuristic of the literature).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers import read_raw_blocks

I64 = npt.NDArray[np.int64]
# Real blocks under the shared data folder: (file, start height for blocks without BIP34).
REAL_BLOCKS = (
    ("btc-blocks-hadoopcryptoledger/block176149.blk", 176_149),
    ("btc-blocks-btcd/277647.dat.bz2", None),
    ("btc-blocks-bcoin/block300025.raw", None),
    ("btc-blocks-hadoopcryptoledger/version4.blk", None),
    ("btc-blocks-bcoin/block426884.raw", None),
    ("btc-blocks-bcoin/block482683.raw", None),
    ("btc-blocks-btcd/block-"
     "0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk", None),
    ("btc-blocks-btcd/block-"
     "00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk", None),
)  # fmt: skip
OUTPUT_BINS = ("1", "2", "3-5", "6+")
INPUT_BINS = ("1", "2", "3-9", "10+")
VALUE_BINS = ("<10k", "10k-100k", "100k-1M", "1M-10M", "10M-100M", ">=100M")


@dataclass(frozen=True)
class Measure:
    """One row of the comparison: a measure (and bin) with its share in each chain."""

    measure: str
    bin: str
    simulated: float
    real: float


def load(batches: Iterable[ChainBatch]) -> dict[str, pa.Table]:
    """The transactions and outputs of ``batches`` as two tables."""
    parts: dict[str, list[pa.Table]] = {"transactions": [], "outputs": []}
    for batch in batches:
        for name, tables in parts.items():
            tables.append(batch[name])
    return {name: pa.concat_tables(t).combine_chunks() for name, t in parts.items()}


def real_sample(data_dir: Path) -> dict[str, pa.Table]:
    """The canonical tables of the real blocks in :data:`REAL_BLOCKS`."""
    parts: list[ChainBatch] = []
    for name, start in REAL_BLOCKS:
        parts += read_raw_blocks(data_dir / name, start_height=start)
    return load(parts)


def _shares(counts: I64, edges: list[int], n: int) -> list[float]:
    """Shares of ``counts`` in the bins ``[edges[i], edges[i+1])``, the last one open."""
    which = np.searchsorted(np.asarray(edges), counts, side="right") - 1
    return list(np.bincount(which, minlength=n)[:n] / max(1, len(counts)))


def _round(values: I64) -> npt.NDArray[np.bool_]:
    """At most two significant digits (250000 sat = 0.0025 BTC)."""
    v = np.maximum(values, 1)
    unit = 10 ** np.maximum(0, np.floor(np.log10(v)).astype(np.int64) - 1)
    return np.asarray((values > 0) & (values % unit == 0), np.bool_)


def profile(tables: dict[str, pa.Table]) -> dict[str, list[float]]:
    """Every measure's shares (bins as in the module's ``*_BINS``) for one chain."""
    txs = tables["transactions"].filter(pc.invert(tables["transactions"]["is_coinbase"]))
    outs = tables["outputs"].filter(pc.is_in(tables["outputs"]["txid"], txs["txid"]))
    nout = txs["output_count"].to_numpy().astype(np.int64)
    nin = txs["input_count"].to_numpy().astype(np.int64)
    values = outs["value"].to_numpy().astype(np.int64)
    keys = pc.binary_join_element_wise(
        pc.cast(outs["script_type"], pa.string()).cast(pa.binary()), outs["payload"], b":"
    )
    codes = pc.dictionary_encode(keys).combine_chunks().indices.to_numpy()
    _, first = np.unique(codes, return_index=True)
    reused = 1 - len(first) / max(1, len(codes))
    return {
        "outputs per tx": _shares(nout, [1, 2, 3, 6], 4),
        "inputs per tx": _shares(nin, [1, 2, 3, 10], 4),
        "output value (sat)": _shares(values, [0, 10**4, 10**5, 10**6, 10**7, 10**8], 6),
        "round amounts": [float(_round(values).mean()) if len(values) else 0.0],
        "address reuse": [reused],
        "change position": _change_last(outs["txid"], outs["vout"], values),
    }


def _change_last(txid: pa.ChunkedArray, vout: pa.ChunkedArray, values: I64) -> list[float]:
    """Of two-output txs with exactly one round output: share whose change is last."""
    codes = pc.dictionary_encode(txid).combine_chunks().indices.to_numpy()
    per_tx = np.bincount(codes)
    two = per_tx[codes] == 2
    rnd = _round(values)
    rounds = np.bincount(codes, weights=rnd, minlength=len(per_tx))
    pick = two & (rounds[codes] == 1) & ~rnd  # the change output of such a tx
    last = vout.to_numpy()[pick] == 1
    return [float(last.mean()) if len(last) else 0.0]


_BINS = {
    "outputs per tx": OUTPUT_BINS,
    "inputs per tx": INPUT_BINS,
    "output value (sat)": VALUE_BINS,
    "round amounts": ("share",),
    "address reuse": ("share",),
    "change position": ("last",),
}


def compare(simulated: dict[str, pa.Table], real: dict[str, pa.Table]) -> list[Measure]:
    """The side-by-side rows of every measure."""
    sim, ref = profile(simulated), profile(real)
    return [
        Measure(name, b, float(s), float(r))
        for name, bins in _BINS.items()
        for b, s, r in zip(bins, sim[name], ref[name], strict=True)
    ]


def realism(world: Path, data_dir: Path) -> list[Measure]:
    """Compare the UTXO chain of the world in ``world`` with the real blocks of ``data_dir``."""
    paths = sorted((world / "btc").glob("blk*.dat"))
    return compare(load(read_raw_blocks(paths, network="regtest")), real_sample(data_dir))
