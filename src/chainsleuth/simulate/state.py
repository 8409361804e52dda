"""The mutable state a world is generated through: who owns what, and what is unspent."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chainsleuth.simulate.book import Book
from chainsleuth.simulate.pool import Pool
from chainsleuth.simulate.population import Population
from chainsleuth.simulate.presets import Preset


@dataclass
class Sim:
    preset: Preset
    seed: int
    book: Book
    pool: Pool
    pop: Population
    rng: np.random.Generator
