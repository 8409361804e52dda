"""Crimes on the account chain: an investment scam paid in the stablecoin, a hack laundered
through many hops. Transactions are planned by height on an :class:`EthPlot`, which keeps the
scenario addresses' balances so that no planned transaction overdraws.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainsleuth.simulate.book import EntityKind
from chainsleuth.simulate.ethstate import GWEI, USDT, EthState
from chainsleuth.simulate.ethtraffic import GAS_RESERVE, TOPUP, EthPop, EthTxs
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.population import OUR_EXCHANGE, account_id

ETH = GWEI
Facts = dict[str, Any]


class EthPlot:
    """Planned transactions of the account-chain scenarios, and their addresses' balances."""

    def __init__(self, plot: Plot, state: EthState, pop: EthPop, last: int, tags: list[str]):
        self.plot, self.state, self.pop, self.last, self.tags = plot, state, pop, last, tags
        self.rng = np.random.default_rng([plot.sim.seed, 3])
        self.rows: dict[int, list[tuple[int, int, int, int, int, int]]] = {}
        self.balance: dict[int, list[int]] = {}  # scenario address -> [gwei, token units]

    def address(self, owner: int) -> int:
        addr = self.state.one(owner)
        self.balance[addr] = [0, 0]
        return addr

    def text(self, addr: int) -> str:
        return "0x" + bytes(self.state.raw(np.array([addr]))[0]).hex()

    def endow(self, addr: int, gwei: int, units: int = 0) -> None:
        self.state.endow(np.array([addr]), np.array([gwei]), np.array([units]))
        self.balance[addr][0] += gwei
        self.balance[addr][1] += units

    def send(self, height: int, frm: int, to: int, tag: str, *, gwei: int = 0, units: int = 0):  # type: ignore[no-untyped-def]
        """Plan a transfer of ether (``gwei``) or the token (``units``) at ``height``."""
        have = self.balance[frm]
        if not 1 <= height <= self.last or have[0] < gwei + GAS_RESERVE or have[1] < units:
            raise ValueError(f"{tag}: cannot send at height {height} from this balance")
        have[0] -= gwei + GAS_RESERVE  # the reserve pays any fee; what is left stays there
        have[1] -= units
        if to in self.balance:
            self.balance[to][0] += gwei
            self.balance[to][1] += units
        if tag not in self.tags:
            self.tags.append(tag)
        row = (frm, to, int(units > 0), gwei, units, self.tags.index(tag))
        self.rows.setdefault(height, []).append(row)

    def at(self, fraction: float) -> int:
        return 1 + int(fraction * (self.last - 1))

    def planned(self) -> dict[int, EthTxs]:
        """The planned transactions by height, as columns."""
        out = {}
        for h, rows in self.rows.items():
            cols = np.array(rows, np.int64).T
            out[h] = EthTxs(*cols)
        return out

    def deposit(self, scenario: str, role: str, exchange: int = OUR_EXCHANGE) -> int:
        """A random customer's deposit address at ``exchange``, marked in the truth."""
        customers = self.plot.sim.pop.customers[exchange]
        c = int(customers[self.rng.integers(0, len(customers))])
        dep = int(self.pop.deposit[c])
        self.plot.truth.add(scenario, role, "eth_address", self.text(dep))
        if exchange == OUR_EXCHANGE:
            self.plot.truth.add(scenario, role, "account", account_id(c))
        return dep

    def actor(self, kind: EntityKind, name: str, scenario: str, role: str) -> int:
        book = self.plot.sim.book
        return self.plot.actor(book.add_entity(kind, name, 2, scripted=True), scenario, role)


def usdt_scam(ep: EthPlot, victims: int) -> Facts:
    """Victims 'invest' stablecoins at per-victim platform addresses; the scammer tops them up
    with gas, gathers the coins and cashes out through mule deposit addresses at our exchange."""
    sc, rng, truth = "pig_butchering_usdt", ep.rng, ep.plot.truth
    scam = ep.actor(EntityKind.SCAM, "Lucky Star Liquidity Mining", sc, "scammer")
    collector = ep.address(scam)
    ep.endow(collector, (victims + 4) * (TOPUP + 2 * GAS_RESERVE))
    truth.add(sc, "collector", "eth_address", ep.text(collector))
    total = 0
    for i in range(victims):
        v = ep.actor(EntityKind.USER, f"victim {i + 1} ({sc})", sc, "victim")
        wallet, platform = ep.address(v), ep.address(scam)
        ep.endow(wallet, ETH // 20, int(rng.lognormal(np.log(5_000 * USDT), 0.7)))
        truth.add(sc, "scam_deposit", "eth_address", ep.text(platform))
        paid = 0
        for k in range(int(rng.integers(1, 4))):
            pay = ep.balance[wallet][1] // (2 if k == 0 else 3)
            ep.send(ep.at(0.1 + 0.4 * i / victims + 0.02 * k), wallet, platform,
                    f"{sc}/investment", units=pay)  # fmt: skip
            paid += pay
        ep.send(ep.at(0.57), collector, platform, f"{sc}/gas_topup", gwei=TOPUP)
        ep.send(ep.at(0.6), platform, collector, f"{sc}/consolidation", units=paid)
        total += paid
    mules = [ep.deposit(sc, "mule_deposit") for _ in range(3)]
    for dep in mules:
        ep.send(ep.at(0.65), collector, dep, f"{sc}/cash_out", units=total // 4)
    return {
        "scenario": sc,
        "amount_units": total * 3 // 4,
        "collector": ep.text(collector),
        "mule_deposits": [ep.text(d) for d in mules],
    }


def hop_hack(ep: EthPlot, branches: int = 8) -> Facts:
    """A bridge's keys are stolen: its ether goes to the hacker, splits into ``branches``
    chains of fresh addresses, one hop a block, and ends at exchange deposit addresses."""
    sc, truth = "bridge_hack", ep.plot.truth
    bridge = ep.address(ep.actor(EntityKind.DEFI_PROTOCOL, "Orbit-like bridge", sc, "victim"))
    hacker = ep.actor(EntityKind.HACKER, "Lazarus-like group (ETH)", sc, "hacker")
    ep.endow(bridge, 3_000 * ETH)
    drain, h0 = ep.address(hacker), ep.at(0.2)
    ep.send(h0, bridge, drain, f"{sc}/theft", gwei=2_500 * ETH)
    truth.add(sc, "drain", "eth_address", ep.text(drain))
    hops = max(2, min(10, ep.last - h0 - 4))
    share = (2_500 * ETH - branches * GAS_RESERVE) // branches
    ends = []
    for _ in range(branches):
        cur = ep.address(hacker)
        ep.send(h0 + 1, drain, cur, f"{sc}/split", gwei=share)
        for step in range(hops):
            nxt = ep.address(hacker)
            truth.add(sc, "hop", "eth_address", ep.text(nxt))
            ep.send(h0 + 2 + step, cur, nxt, f"{sc}/hop", gwei=ep.balance[cur][0] - GAS_RESERVE)
            cur = nxt
        ends.append(cur)
    h_end, ours = h0 + 2 + hops, []
    for j, cur in enumerate(ends):
        exchange = OUR_EXCHANGE if j % 2 == 0 else 1 + j % (len(ep.pop.hot) - 1)
        dep = ep.deposit(sc, "cash_out", exchange)
        ep.send(h_end, cur, dep, f"{sc}/cash_out", gwei=ep.balance[cur][0] - GAS_RESERVE)
        if exchange == OUR_EXCHANGE:
            ours.append(ep.text(dep))
    return {
        "scenario": sc, "hops": hops, "branches": branches, "drain": ep.text(drain),
        "cash_out_deposits": ours,
    }  # fmt: skip
