"""``simulate_world``: the whole world, written to a folder in the formats real data arrives in."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainsleuth.chain.readers import read_raw_blocks
from chainsleuth.simulate import scenarios
from chainsleuth.simulate.blocks import BlockWriter
from chainsleuth.simulate.book import Book
from chainsleuth.simulate.btcetl import write_bitcoin_etl
from chainsleuth.simulate.chainrun import START_TIME, ChainRun, bootstrap_blocks
from chainsleuth.simulate.ethworld import simulate_eth
from chainsleuth.simulate.exchange import write_exchange
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.pool import Pool
from chainsleuth.simulate.population import populate
from chainsleuth.simulate.presets import Preset
from chainsleuth.simulate.presets import preset as named_preset
from chainsleuth.simulate.requests import write_requests
from chainsleuth.simulate.state import Sim
from chainsleuth.simulate.traffic import BACKGROUND_TAGS
from chainsleuth.simulate.truth import TxTruth, write_truth

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SimProgress:
    """Where generation stands: blocks written of the total."""

    stage: str
    done: int
    total: int


def _scenarios(plot: Plot, p: Preset) -> list[dict[str, Any]]:
    return [
        scenarios.ransomware(plot, max(3, p.victims // 3)),
        scenarios.pig_butchering(plot, p.victims),
        scenarios.hack(plot),
        scenarios.darknet_market(plot, max(5, p.victims // 2)),
        scenarios.sanctioned(plot),
        scenarios.privacy_rounds(plot, max(8, p.victims)),
    ]


def simulate_world(
    out: Path,
    *,
    preset: str | Preset,
    seed: int,
    progress: Callable[[SimProgress], None] | None = None,
    bitcoin_etl: bool = False,
) -> dict[str, Any]:
    """Generate a world into ``out`` and return its manifest (also written to manifest.json).

    ``bitcoin_etl`` also writes the UTXO chain as a bitcoin-etl export under ``btc-etl/``.
    """
    p = named_preset(preset) if isinstance(preset, str) else preset
    out = Path(out)
    (out / "btc").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    book = Book(seed)
    sim = Sim(p, seed, book, Pool(), populate(book, p, rng), rng)
    first = bootstrap_blocks(sim)
    plot = Plot(sim, first, p.blocks - 1)
    facts = _scenarios(plot, p)
    writer = BlockWriter(out / "btc", book, sim.pool, rng)
    tags = {t: i for i, t in enumerate(BACKGROUND_TAGS)}
    truth = TxTruth(out, tags)
    run = ChainRun(sim, plot, writer, tags, truth)
    report = progress or (lambda _: None)
    try:
        run.bootstrap(first)
        run.epochs(first, p.blocks - 1, lambda h: report(SimProgress("blocks", h + 1, p.blocks)))
    finally:
        writer.close()
        truth.close()
    report(SimProgress("account chain", p.blocks, p.blocks))
    eth = simulate_eth(out, sim, plot, START_TIME)
    report(SimProgress("records", p.blocks, p.blocks))
    files = eth.files + [str(path.relative_to(out)) for path in writer.paths]
    if bitcoin_etl:
        blocks = read_raw_blocks(writer.paths, network="regtest")
        files += [str(p.relative_to(out)) for p in write_bitcoin_etl(blocks, out / "btc-etl")]
    files += write_exchange(out, sim, run.log, plot, eth)
    files += write_requests(out, sim, facts + eth.facts, run.log, plot.truth)
    used = run.log.used()
    files += write_truth(out, sim, used, plot)
    manifest = {
        "preset": p.name,
        "seed": seed,
        "network": "regtest",
        "chains": {
            "btc": {
                "format": "rawblock",
                "blocks": run.log.blocks,
                "txs": run.log.txs,
                "inputs": run.log.inputs,
                "outputs": run.log.outputs,
                "addresses": len(used),
            },
            "eth": eth.manifest,
        },
        "entities": int(book.ent_kind.n),
        "scenarios": [f["scenario"] for f in facts],
        "files": sorted(files),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest
