"""The background population: users, merchants, exchanges (ours first) and mining pools."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate._txwrite import P2PKH, P2SH_P2WPKH, P2TR, P2WPKH
from chainsleuth.simulate.book import Book, EntityKind, Role
from chainsleuth.simulate.presets import Preset

I64 = npt.NDArray[np.int64]

# Wallet script kinds of users, after the output-type mix of 2023-2024 mainnet.
_WALLET_KINDS = np.array([P2PKH, P2SH_P2WPKH, P2WPKH, P2TR], np.uint8)
_WALLET_WEIGHTS = (0.18, 0.14, 0.55, 0.13)
EXCHANGE_NAMES = (
    "Kestrel Exchange",
    "Northwind Markets",
    "Bluefin Digital",
    "Sampaguita Pay",
    "Arcadia Coin",
    "Tundra Trade",
    "Meridian Bit",
    "Lagoon Exchange",
    "Orchid Bitbank",
    "Granite Crypto",
    "Saffron Trade",
    "Fjord Exchange",
)
POOL_NAMES = (
    "SlushHash",
    "CedarPool",
    "AntFarm Mining",
    "Viabit",
    "F3Pool",
    "Lux Mining",
    "MaraHash",
    "Braiins-ish",
)
OUR_EXCHANGE = 0  # index into Population.exchanges: the exchange we work for


def account_id(entity: int) -> str:
    """The exchange account id of a customer entity."""
    return f"ACC{entity:08d}"


def customer_id(entity: int) -> str:
    """The exchange customer id of a customer entity."""
    return f"CUS{entity:08d}"


@dataclass
class Population:
    users: I64
    merchants: I64
    exchanges: I64
    pools: I64
    home: I64  # per entity: the exchange entity it banks with, -1 for none
    deposit: I64  # per entity: its deposit address at its home exchange, -1 for none
    hot: I64  # per exchange (index): its hot wallet address
    pool_weights: npt.NDArray[np.float64]
    customers: list[I64]  # per exchange (index): the entities banking there

    @property
    def ours(self) -> int:
        return int(self.exchanges[OUR_EXCHANGE])


def _people(book: Book, rng: np.random.Generator, n: int, kind: EntityKind, reuse: float) -> I64:
    wallets = rng.choice(_WALLET_KINDS, size=n, p=_WALLET_WEIGHTS)
    heavy = rng.random(n) < 0.3  # a third of wallets reuse addresses, the rest rarely do
    rates = np.where(heavy, reuse, 0.04).astype(np.float32)
    return book.add_entities(kind, wallets, rates, scripted=False)


def populate(book: Book, p: Preset, rng: np.random.Generator) -> Population:
    """Create the background entities, their home exchanges and deposit addresses."""
    users = _people(book, rng, p.users, EntityKind.USER, 0.75)
    merchants = _people(book, rng, p.merchants, EntityKind.MERCHANT, 0.5)
    exchanges = np.array(
        [
            book.add_entity(EntityKind.EXCHANGE, EXCHANGE_NAMES[i], P2WPKH, scripted=False)
            for i in range(p.exchanges)
        ],
        np.int64,
    )
    pools = np.array(
        [
            book.add_entity(EntityKind.MINING_POOL, POOL_NAMES[i], P2WPKH, scripted=False)
            for i in range(p.pools)
        ],
        np.int64,
    )
    hot = book.new_addresses(exchanges, Role.HOT)
    n = book.ent_kind.n
    home = np.full(n, -1, np.int64)
    people = np.concatenate([users, merchants])
    banked = people[rng.random(len(people)) < 0.65]
    share = np.full(p.exchanges, 0.6 / max(p.exchanges - 1, 1))
    share[OUR_EXCHANGE] = 0.4  # our exchange is the biggest
    home[banked] = exchanges[rng.choice(p.exchanges, size=len(banked), p=share / share.sum())]
    deposit = np.full(n, -1, np.int64)
    deposit[banked] = book.new_addresses(home[banked], Role.DEPOSIT)
    weights = rng.dirichlet(np.full(p.pools, 2.0))
    customers = [np.flatnonzero(home == e).astype(np.int64) for e in exchanges]
    return Population(users, merchants, exchanges, pools, home, deposit, hot, weights, customers)


def endowments(book: Book, pop: Population, rng: np.random.Generator) -> tuple[I64, I64]:
    """Bootstrap coins (values, addresses): a few outputs per user and merchant, big hot wallets."""
    people = np.concatenate([pop.users, pop.merchants])
    per = rng.integers(1, 4, size=len(people))
    owners = np.repeat(people, per)
    values = rng.lognormal(np.log(4_000_000), 1.3, len(owners)).astype(np.int64) + 10_000
    values[np.isin(owners, pop.merchants)] *= 5
    hot_owners = np.repeat(np.arange(len(pop.exchanges)), 40)
    hot_values = rng.lognormal(np.log(2e9), 0.6, len(hot_owners)).astype(np.int64)
    addrs = np.concatenate([book.receive(owners, rng), pop.hot[hot_owners]])
    return np.concatenate([values, hot_values]), addrs
