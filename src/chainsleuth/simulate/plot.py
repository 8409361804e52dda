"""Scenario transactions, planned ahead with coin handles and written into their blocks.

A scenario endows its actors at the bootstrap block, then plans each transaction at a
height: inputs are coins it holds, outputs pay addresses. Values and fees are fixed at
planning time; txids are filled in when the block is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from chainsleuth.simulate._txwrite import INPUT_VBYTES, OUTPUT_VBYTES
from chainsleuth.simulate.book import Role
from chainsleuth.simulate.state import Sim

DUST = 546


@dataclass(frozen=True)
class Coin:
    handle: int
    value: int
    addr: int
    height: int


@dataclass
class Spec:
    """One planned transaction."""

    height: int
    inputs: list[Coin]
    outputs: list[tuple[int, int]]  # (address, value)
    handles: list[int]
    tag: str
    change_vout: int = -1


@dataclass
class Truth:
    """Scenario roles: (scenario, role, kind, reference) rows; kind is entity/address/account/tx."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, scenario: str, role: str, kind: str, ref: object) -> None:
        self.rows.append((scenario, role, kind, str(ref)))


class Plot:
    """Collects the scenarios' planned transactions and bootstrap endowments."""

    def __init__(self, sim: Sim, first: int, last: int) -> None:
        self.sim = sim
        self.first, self.last = first, last
        self.specs: dict[int, list[Spec]] = {}
        self.endowed: list[tuple[int, int, int]] = []  # (address, value, coin handle)
        self.truth = Truth()
        self.entity_roles: dict[int, tuple[str, str]] = {}

    def actor(self, entity: int, scenario: str, role: str) -> int:
        self.entity_roles[entity] = (scenario, role)
        self.truth.add(scenario, role, "entity", entity)
        return entity

    def address(self, owner: int) -> int:
        return int(self.sim.book.new_addresses([owner], Role.RECEIVE)[0])

    def endow(self, owner: int, value: int) -> Coin:
        """A coin for ``owner`` from the bootstrap block."""
        handle = int(self.sim.pool.new_coins(1)[0])
        addr = self.address(owner)
        self.endowed.append((addr, value, handle))
        return Coin(handle, value, addr, 0)

    def fee(self, coins: list[Coin], n_out: int, rate: int = 12) -> int:
        kinds = self.sim.book.addr_kind.view[[c.addr for c in coins]]
        return rate * (11 + int(INPUT_VBYTES[kinds].sum()) + int(OUTPUT_VBYTES[2]) * n_out)

    def raw(
        self,
        height: int,
        coins: list[Coin],
        outputs: list[tuple[int, int]],
        tag: str,
        change_vout: int = -1,
    ) -> list[Coin]:
        """Plan a transaction exactly as given; the fee is what the outputs leave."""
        if any(c.height >= height for c in coins) or not self.first <= height <= self.last:
            raise ValueError(f"{tag}: height {height} cannot spend its coins or is off the chain")
        if (
            sum(v for _, v in outputs) > sum(c.value for c in coins)
            or min(v for _, v in outputs) < DUST
        ):
            raise ValueError(f"{tag}: outputs exceed inputs or are dust")
        handles = [int(h) for h in self.sim.pool.new_coins(len(outputs))]
        self.specs.setdefault(height, []).append(
            Spec(height, coins, outputs, handles, tag, change_vout)
        )
        return [Coin(h, v, a, height) for h, (a, v) in zip(handles, outputs, strict=True)]

    def send(
        self, height: int, coins: list[Coin], pays: list[tuple[int, int]], tag: str
    ) -> tuple[list[Coin], Coin | None]:
        """Pay ``pays`` from ``coins``; change to a fresh address of the first coin's owner."""
        change = (
            sum(c.value for c in coins) - sum(v for _, v in pays) - self.fee(coins, len(pays) + 1)
        )
        if change < DUST:
            return self.raw(height, coins, pays, tag), None
        owner = int(self.sim.book.addr_owner.view[coins[0].addr])
        out = self.raw(height, coins, [*pays, (self.address(owner), change)], tag, len(pays))
        return out[:-1], out[-1]

    def sweep(self, height: int, coins: list[Coin], to: int, tag: str) -> Coin:
        """Everything in ``coins`` to one address, less the fee."""
        total = sum(c.value for c in coins) - self.fee(coins, 1)
        return self.raw(height, coins, [(to, total)], tag)[0]

    def at(self, fraction: float) -> int:
        """The height at ``fraction`` of the scenario window."""
        return self.first + int(fraction * (self.last - self.first))

    def rng(self) -> np.random.Generator:
        return self.sim.rng
