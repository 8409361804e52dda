"""Who owns what: the world's entities and their addresses, as growable NumPy columns.

An address is an integer id; its key material (the hash or key in the script) is derived
from the id and the world's seed (:func:`payloads`), so no per-address bytes are stored.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]


class EntityKind(IntEnum):
    """What an entity is; the ground truth's ``entity_kind`` column names them."""

    USER = 0
    MERCHANT = 1
    EXCHANGE = 2
    MINING_POOL = 3
    MIXER = 4
    RANSOMWARE = 5
    SCAM = 6
    HACKER = 7
    DARKNET_MARKET = 8
    SANCTIONED = 9
    TOKEN_ISSUER = 10
    DEFI_PROTOCOL = 11


class Role(IntEnum):
    """What an address is for, within its owner's wallet."""

    RECEIVE = 0
    CHANGE = 1
    DEPOSIT = 2  # an exchange's per-customer deposit address
    HOT = 3  # an exchange's hot wallet
    COINBASE = 4


class Growable:
    """A 1-d NumPy column that doubles its buffer when it fills."""

    def __init__(self, dtype: npt.DTypeLike) -> None:
        self._buf = np.zeros(1024, dtype)
        self.n = 0

    def extend(self, values: npt.ArrayLike) -> I64:
        """Append ``values``; their positions."""
        arr = np.asarray(values, self._buf.dtype).ravel()
        while self.n + len(arr) > len(self._buf):
            self._buf = np.concatenate([self._buf, np.zeros_like(self._buf)])
        self._buf[self.n : self.n + len(arr)] = arr
        self.n += len(arr)
        return np.arange(self.n - len(arr), self.n, dtype=np.int64)

    @property
    def view(self) -> npt.NDArray[Any]:
        return self._buf[: self.n]


def _splitmix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def payloads(seed: int, ids: I64) -> U8:
    """The 32 bytes of key material of each address id: ``(len(ids), 32)``, by the seed."""
    salt = ((seed & 0xFFFF_FFFF) << 40) % 2**64  # seeds of up to 24 bits stay apart
    base = ids.astype(np.uint64) * np.uint64(4) + np.uint64(salt)
    words = _splitmix(base[:, None] + np.arange(4, dtype=np.uint64)[None, :])
    return words.astype("<u8").view(np.uint8).reshape(len(ids), 32)


class Book:
    """Entities (kind, wallet script kind, address reuse rate) and addresses (owner, role)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.ent_kind = Growable(np.uint8)
        self.ent_wallet = Growable(np.uint8)
        self.ent_reuse = Growable(np.float32)
        self.ent_scripted = Growable(np.bool_)  # driven by a scenario, not by background traffic
        self.ent_last = Growable(np.int64)  # last receive address, -1 before the first
        self.names: dict[int, str] = {}
        self.addr_owner = Growable(np.int32)
        self.addr_role = Growable(np.uint8)
        self.addr_kind = Growable(np.uint8)

    def add_entities(
        self, kind: EntityKind, wallets: U8, reuse: npt.NDArray[np.float32], *, scripted: bool
    ) -> I64:
        """New entities of one kind; their ids."""
        n = len(wallets)
        ids = self.ent_kind.extend(np.full(n, kind, np.uint8))
        self.ent_wallet.extend(wallets)
        self.ent_reuse.extend(reuse)
        self.ent_scripted.extend(np.full(n, scripted))
        self.ent_last.extend(np.full(n, -1, np.int64))
        return ids

    def add_entity(self, kind: EntityKind, name: str, wallet: int, *, scripted: bool) -> int:
        """One named entity (a service or a scenario actor)."""
        ident = int(
            self.add_entities(
                kind, np.array([wallet], np.uint8), np.zeros(1, np.float32), scripted=scripted
            )[0]
        )
        self.names[ident] = name
        return ident

    def new_addresses(self, owners: npt.ArrayLike, role: Role) -> I64:
        """Fresh addresses of ``owners`` (one each), in each owner's wallet script kind."""
        own = np.asarray(owners, np.int64).ravel()
        ids = self.addr_owner.extend(own)
        self.addr_role.extend(np.full(len(own), role, np.uint8))
        self.addr_kind.extend(self.ent_wallet.view[own])
        return ids

    def receive(self, owners: I64, rng: np.random.Generator) -> I64:
        """A receive address per owner: the last one again at the owner's reuse rate, else new."""
        last = self.ent_last.view[owners]
        reuse = (last >= 0) & (rng.random(len(owners)) < self.ent_reuse.view[owners])
        out = last.copy()
        fresh = np.flatnonzero(~reuse)
        out[fresh] = self.new_addresses(owners[fresh], Role.RECEIVE)
        self.ent_last.view[owners[fresh]] = out[fresh]
        return out
