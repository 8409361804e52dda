"""The world simulator: a chain, an exchange and crimes, with ground truth.

:func:`simulate_world` writes a world (raw regtest blocks, the exchange's CSV records, LE
requests, ground truth Parquet and ``manifest.json``) for a preset and seed.
"""

from chainsleuth.simulate.book import EntityKind
from chainsleuth.simulate.presets import PRESETS, Preset, preset
from chainsleuth.simulate.world import MANIFEST, SimProgress, simulate_world

__all__ = ["MANIFEST", "PRESETS", "EntityKind", "Preset", "SimProgress", "preset", "simulate_world"]
