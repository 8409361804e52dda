"""The world simulator: a chain, an exchange and crimes, with ground truth.

:func:`simulate_world` writes a world (raw regtest blocks, optionally their bitcoin-etl
export, an Ethereum-like chain as ethereum-etl CSV, the exchange's CSV records, LE requests,
ground truth Parquet and ``manifest.json``) for a preset and seed; :func:`realism` compares
its UTXO chain with real mainnet blocks.
"""

from chainsleuth.simulate.book import EntityKind
from chainsleuth.simulate.presets import PRESETS, Preset, preset
from chainsleuth.simulate.realism import Measure, realism
from chainsleuth.simulate.world import MANIFEST, SimProgress, simulate_world

__all__ = [
    "MANIFEST",
    "PRESETS",
    "EntityKind",
    "Measure",
    "Preset",
    "SimProgress",
    "preset",
    "realism",
    "simulate_world",
]
