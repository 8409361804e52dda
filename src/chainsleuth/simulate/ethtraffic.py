"""Background traffic of the account chain, vectorised: payments, exchange sweeps, withdrawals.

Every user and merchant has one externally owned account (account chains reuse addresses);
every exchange customer has a deposit address at its exchange, which the exchange sweeps
to its hot wallet: ether directly, tokens after a gas top-up from the hot wallet (a deposit
address holds no ether to pay for the token transfer), as exchanges do on Ethereum.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate.book import Role
from chainsleuth.simulate.ethstate import GWEI, USDT, EthState
from chainsleuth.simulate.state import Sim

I64 = npt.NDArray[np.int64]
ETH = GWEI  # gwei per ether
MAX_PRICE_GWEI = 83  # base fee capped at 80 gwei, tips at most 3: fees are bounded up front
TOKEN_GAS = 100_000  # the highest gas limit a token transfer is given
GAS_RESERVE = TOKEN_GAS * MAX_PRICE_GWEI  # gwei that pays any one transaction's fee
TOPUP = 10_000_000  # 0.01 ether: an exchange's gas top-up of a deposit address
ETH_TAGS = ("payment", "sweep", "gas_topup", "withdrawal")
TAG_PAYMENT, TAG_SWEEP, TAG_TOPUP, TAG_WITHDRAWAL = range(4)


@dataclass
class EthTxs:
    """Transactions as columns: sender, recipient (of the ether or of the token), amounts."""

    frm: I64
    to: I64
    token: I64  # 1: a token transfer (the transaction calls the token contract), 0: ether
    gwei: I64  # ether value
    units: I64  # token value in base units
    tag: I64

    @classmethod
    def empty(cls) -> EthTxs:
        return cls(*(np.zeros(0, np.int64) for _ in fields(cls)))

    @classmethod
    def concat(cls, parts: list[EthTxs]) -> EthTxs:
        return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)))

    @classmethod
    def of(cls, frm: I64, to: I64, *, token: bool, gwei: I64, units: I64, tag: int) -> EthTxs:
        n = len(frm)
        return cls(frm, to, np.full(n, int(token)), gwei, units, np.full(n, tag, np.int64))

    def __len__(self) -> int:
        return len(self.frm)


@dataclass
class EthPop:
    """The account chain's background addresses."""

    people: I64  # the EOA of every user and merchant
    eoa: I64  # per entity: its EOA, -1 for none
    deposit: I64  # per entity: its deposit address at its home exchange, -1 for none
    deposits: I64  # every deposit address
    hot: I64  # per exchange (index): its hot wallet
    hot_of: I64  # per deposit address (aligned with ``deposits``): its exchange's hot wallet
    builders: I64  # block fee recipients
    token: int  # the stablecoin contract


def populate_eth(sim: Sim, state: EthState, token_owner: int) -> EthPop:
    """EOAs, deposit and hot addresses, fee recipients and the token; genesis balances."""
    pop, rng, n = sim.pop, np.random.default_rng([sim.seed, 1]), sim.book.ent_kind.n
    people = np.concatenate([pop.users, pop.merchants])
    eoa = np.full(n, -1, np.int64)
    eoa[people] = state.new(people, Role.RECEIVE)
    banked = np.flatnonzero(pop.home >= 0)
    deposit = np.full(n, -1, np.int64)
    deposit[banked] = state.new(pop.home[banked], Role.DEPOSIT)
    hot = state.new(pop.exchanges, Role.HOT)
    hot_of = hot[np.searchsorted(pop.exchanges, pop.home[banked])]
    builders = state.new(pop.pools, Role.COINBASE)
    token = state.one(token_owner, Role.HOT)
    gwei = rng.lognormal(np.log(0.3 * ETH), 1.2, len(people)).astype(np.int64)
    units = np.where(
        rng.random(len(people)) < 0.7,
        rng.lognormal(np.log(500 * USDT), 1.4, len(people)).astype(np.int64),
        0,
    )
    merchant = np.isin(people, pop.merchants)
    units[merchant] *= 5
    state.endow(eoa[people], gwei, units)
    state.endow(hot, np.full(len(hot), 20_000 * ETH), np.full(len(hot), 50_000_000 * USDT))
    return EthPop(eoa[people], eoa, deposit, deposit[banked], hot, hot_of, builders, token)


def _amounts(rng: np.random.Generator, budget: I64, unit: int) -> I64:
    """A share of ``budget``; a third rounded down to a round number of ``unit``."""
    v = (budget * rng.uniform(0.05, 0.6, len(budget))).astype(np.int64)
    rounded = rng.random(len(v)) < 0.35
    v[rounded] = np.maximum(v[rounded] // unit * unit, np.minimum(v[rounded], unit))
    return v


def _recipients(sim: Sim, ep: EthPop, payer_entity: I64, rng: np.random.Generator) -> I64:
    """A person, a merchant, the payer's own or another's exchange deposit address."""
    pop, n = sim.pop, len(payer_entity)
    u = rng.random(n)
    people = np.concatenate([pop.users, pop.merchants])
    peer = people[rng.integers(0, len(people), n)]
    shop = pop.merchants[rng.integers(0, len(pop.merchants), n)]
    to = ep.eoa[np.where(u < 0.4, peer, shop)]
    own, theirs = ep.deposit[payer_entity], ep.deposit[peer]
    to = np.where((u >= 0.6) & (u < 0.9) & (own >= 0), own, to)
    return np.where((u >= 0.9) & (theirs >= 0), theirs, to)


def payments(sim: Sim, state: EthState, ep: EthPop, rng: np.random.Generator, n: int) -> EthTxs:
    """Up to ``n`` payments by distinct people: 70 % in the token where they hold some."""
    frm = np.unique(ep.people[rng.integers(0, len(ep.people), n)])
    gwei, units = state.gwei.view[frm], state.usdt.view[frm]
    frm = frm[gwei >= 2 * GAS_RESERVE]
    gwei, units = state.gwei.view[frm], state.usdt.view[frm]
    token = (units >= USDT) & (rng.random(len(frm)) < 0.7)
    to = _recipients(sim, ep, state.owner.view[frm], rng)
    keep = to != frm
    frm, to, token, gwei, units = frm[keep], to[keep], token[keep], gwei[keep], units[keep]
    value = np.where(token, 0, _amounts(rng, gwei - GAS_RESERVE, 10_000_000))
    tokens = np.where(token, _amounts(rng, units, 10 * USDT), 0)
    return EthTxs(frm, to, token.astype(np.int64), value, tokens, np.zeros(len(frm), np.int64))


def sweeps(state: EthState, ep: EthPop, stage: int) -> EthTxs:
    """Stage 0: sweep ether deposits and top up token deposits with gas; 1: sweep tokens."""
    dep, hot = ep.deposits, ep.hot_of
    gwei, units = state.gwei.view[dep], state.usdt.view[dep]
    zero = np.zeros(len(dep), np.int64)
    if stage == 1:
        go = (units >= 10 * USDT) & (gwei >= GAS_RESERVE)
        return EthTxs.of(
            dep[go], hot[go], token=True, gwei=zero[go], units=units[go], tag=TAG_SWEEP
        )
    ether = (gwei >= 20_000_000) & (units < 10 * USDT)
    topup = (units >= 10 * USDT) & (gwei < GAS_RESERVE)
    swept = gwei[ether] - 21_000 * MAX_PRICE_GWEI
    return EthTxs.concat([
        EthTxs.of(dep[ether], hot[ether], token=False, gwei=swept, units=zero[ether],
                  tag=TAG_SWEEP),
        EthTxs.of(hot[topup], dep[topup], token=False, gwei=zero[topup] + TOPUP,
                  units=zero[topup], tag=TAG_TOPUP),
    ])  # fmt: skip


def withdrawals(sim: Sim, ep: EthPop, rng: np.random.Generator, n: int) -> EthTxs:
    """``n`` withdrawals from hot wallets to customers' own addresses, mostly in the token."""
    pop = sim.pop
    banked = np.flatnonzero(pop.home >= 0)
    who = banked[rng.integers(0, len(banked), n)]
    hot = ep.hot[np.searchsorted(pop.exchanges, pop.home[who])]
    token = rng.random(n) < 0.7
    units = np.where(token, rng.lognormal(np.log(300 * USDT), 1.2, n).astype(np.int64), 0)
    gwei = np.where(token, 0, rng.lognormal(np.log(0.2 * ETH), 1.0, n).astype(np.int64))
    tag = np.full(n, TAG_WITHDRAWAL, np.int64)
    return EthTxs(hot, ep.eoa[who], token.astype(np.int64), gwei, units, tag)
