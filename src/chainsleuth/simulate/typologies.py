"""Exchange-side laundering typologies as internal transfers between customer accounts.

Shapes after IBM AMLSim's typologies (fan-in, fan-out, cycle, scatter-gather,
gather-scatter, bipartite, stack) plus the FATF red flags an exchange watches: structuring
below a reporting threshold, rapid pass-through, dormant-then-burst and mule networks.
Each instance marks its accounts in the ground truth with the typology and role.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from chainsleuth.simulate.plot import Truth
from chainsleuth.simulate.population import account_id

Transfer = tuple[int, int, int, int]  # (time, from account entity, to account entity, satoshi)
THRESHOLD = 15_000_000  # an internal reporting threshold, 0.15 BTC


class Typologies:
    """Draws accounts, times and amounts for each typology and records the truth."""

    def __init__(
        self, rng: np.random.Generator, accounts: np.ndarray, t0: int, t1: int, truth: Truth
    ) -> None:
        self.rng, self.accounts, self.t0, self.t1, self.truth = rng, accounts, t0, t1, truth
        self.transfers: list[Transfer] = []
        self.mules: list[list[int]] = []

    def _pick(self, n: int, name: str, roles: list[str]) -> list[int]:
        chosen = [int(a) for a in self.rng.choice(self.accounts, size=n, replace=False)]
        for a, role in zip(chosen, roles, strict=True):
            self.truth.add(name, role, "account", account_id(a))
        return chosen

    def _amount(self) -> int:
        return int(self.rng.lognormal(np.log(3_000_000), 0.6))

    def _move(self, t: int, a: int, b: int, v: int) -> None:
        self.transfers.append((t, a, b, v))

    def _start(self) -> int:
        return int(self.rng.integers(self.t0, max(self.t0 + 1, self.t1 - 86_400)))

    def fan(self, name: str, k: int, inward: bool) -> None:
        hub, *spokes = self._pick(k + 1, name, ["hub"] + ["spoke"] * k)
        t = self._start()
        for i, s in enumerate(spokes):
            self._move(t + 600 * i, s if inward else hub, hub if inward else s, self._amount())

    def cycle(self, name: str, k: int) -> None:
        ring = self._pick(k, name, ["member"] * k)
        t, v = self._start(), self._amount()
        for i, a in enumerate(ring):
            v = v * 97 // 100  # each hop keeps a cut
            self._move(t + 1800 * i, a, ring[(i + 1) % k], v)

    def through(self, name: str, k: int, scatter_first: bool) -> None:
        """scatter-gather (source -> k -> sink) or gather-scatter (k -> hub -> k)."""
        roles = (
            ["source", *["intermediary"] * k, "sink"]
            if scatter_first
            else [*["source"] * k, "hub", *["sink"] * k]
        )
        acc = self._pick(len(roles), name, roles)
        t = self._start()
        if scatter_first:
            for i, m in enumerate(acc[1:-1]):
                v = self._amount()
                self._move(t + 300 * i, acc[0], m, v)
                self._move(t + 7200 + 300 * i, m, acc[-1], v * 98 // 100)
        else:
            total = 0
            for i, s in enumerate(acc[:k]):
                v = self._amount()
                total += v
                self._move(t + 300 * i, s, acc[k], v)
            for i, d in enumerate(acc[k + 1 :]):
                self._move(t + 7200 + 300 * i, acc[k], d, total // (k + 1))

    def layered(self, name: str, sizes: list[int]) -> None:
        """bipartite (two layers) or stack (three or more), every pair of adjacent layers."""
        acc = self._pick(
            sum(sizes), name, [f"layer{i}" for i, n in enumerate(sizes) for _ in range(n)]
        )
        layers = np.split(np.array(acc), np.cumsum(sizes)[:-1])
        t = self._start()
        for depth, (src, dst) in enumerate(itertools.pairwise(layers)):
            for a in src:
                for b in dst:
                    self._move(
                        t + 3600 * depth + int(self.rng.integers(0, 600)),
                        int(a),
                        int(b),
                        self._amount(),
                    )

    def structuring(self, name: str, k: int) -> None:
        a, b = self._pick(2, name, ["structurer", "receiver"])
        t = self._start()
        for i in range(k):
            self._move(
                t + 5400 * i, a, b, int(self.rng.integers(THRESHOLD * 90 // 100, THRESHOLD - 1))
            )

    def dormant_burst(self, name: str, k: int) -> None:
        a, *others = self._pick(k + 1, name, ["dormant", *["counterparty"] * k])
        self._move(self.t0, others[0], a, self._amount())
        t = self.t1 - 7200
        for i, o in enumerate(others):
            self._move(t + 60 * i, a, o, self._amount())

    def pass_through(self, name: str, k: int) -> None:
        """Money in and nearly all of it straight out again within minutes, ``k`` times."""
        src, a, dst = self._pick(3, name, ["source", "pass_through", "destination"])
        t = self._start()
        for i in range(k):
            v = self._amount()
            arrive = t + 3600 * i
            self._move(arrive, src, a, v)
            self._move(arrive + int(self.rng.integers(120, 900)), a, dst, v * 99 // 100)

    def mule_ring(self, name: str, k: int) -> None:
        ring = self._pick(k + 1, name, ["controller", *["mule"] * k])
        self.mules.append(ring)
        t = self._start()
        for i, m in enumerate(ring[1:]):
            self._move(t + 900 * i, m, ring[0], self._amount())

    def all(self, scale: int) -> list[Transfer]:
        k = max(3, min(12, scale))
        steps: list[Callable[[], None]] = [
            lambda: self.fan("fan_in", k, True),
            lambda: self.fan("fan_out", k, False),
            lambda: self.cycle("cycle", 4),
            lambda: self.through("scatter_gather", k, True),
            lambda: self.through("gather_scatter", k, False),
            lambda: self.layered("bipartite", [3, 3]),
            lambda: self.layered("stack", [2, 3, 2]),
            lambda: self.structuring("structuring", k),
            lambda: self.pass_through("rapid_pass_through", k),
            lambda: self.dormant_burst("dormant_burst", k),
            lambda: self.mule_ring("mule_ring", 4),
        ]
        for step in steps:
            step()
        return self.transfers
