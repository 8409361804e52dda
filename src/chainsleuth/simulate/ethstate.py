"""The account chain's state: addresses (owner, role), ether and token balances, nonces.

Ether is kept in gwei and fees are charged rounded up to the gwei, so the tracked balance is
never above the exact wei balance; the token (a USDT-like stablecoin) in its base units
(6 decimals). An address is an integer id whose 20 bytes derive from the id and the seed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from chainsleuth.simulate.book import Book, Growable, Role, payloads

I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
GWEI = 10**9
USDT = 10**6  # base units per token
# Id ranges that keep the account chain's pseudo-random bytes apart from the UTXO chain's
# address payloads (ids below 2**34) and from each other.
SALT_ADDRESS, SALT_TX, SALT_BLOCK, SALT_ROOT = 1, 2, 3, 4


def salted(seed: int, salt: int, ids: I64) -> U8:
    """32 pseudo-random bytes per id for one purpose (``salt``) of the world ``seed``."""
    return payloads(seed, ids + (salt << 34))


class EthState:
    """Every account-chain address with its owner, role, balances and next nonce."""

    def __init__(self, book: Book) -> None:
        self.book = book
        self.owner = Growable(np.int64)
        self.role = Growable(np.uint8)
        self.gwei = Growable(np.int64)
        self.usdt = Growable(np.int64)
        self.nonce = Growable(np.int64)
        self.genesis_gwei = Growable(np.int64)
        self.genesis_usdt = Growable(np.int64)
        self.seen = Growable(np.bool_)  # named by a transaction, token transfer or genesis trace

    def __len__(self) -> int:
        return self.owner.n

    def new(self, owners: npt.ArrayLike, role: Role) -> I64:
        """Fresh addresses of ``owners`` (one each); their ids."""
        own = np.asarray(owners, np.int64).ravel()
        ids = self.owner.extend(own)
        self.role.extend(np.full(len(own), role, np.uint8))
        for col in (self.gwei, self.usdt, self.nonce, self.genesis_gwei, self.genesis_usdt):
            col.extend(np.zeros(len(own), np.int64))
        self.seen.extend(np.zeros(len(own), np.bool_))
        return ids

    def one(self, owner: int, role: Role = Role.RECEIVE) -> int:
        return int(self.new([owner], role)[0])

    def endow(self, addrs: I64, gwei: I64, usdt: I64) -> None:
        """Genesis balances (the chain's genesis state, not transactions; the ether is
        exported as genesis traces, the token units have no export row)."""
        np.add.at(self.gwei.view, addrs, gwei)
        np.add.at(self.usdt.view, addrs, usdt)
        np.add.at(self.genesis_gwei.view, addrs, gwei)
        np.add.at(self.genesis_usdt.view, addrs, usdt)

    def raw(self, ids: I64) -> U8:
        """The 20 address bytes of ``ids``: ``(len(ids), 20)``."""
        return salted(self.book.seed, SALT_ADDRESS, ids)[:, :20]

    def scripted(self, ids: I64) -> npt.NDArray[np.bool_]:
        """Whether each address belongs to a scenario actor (background traffic leaves it)."""
        return np.asarray(self.book.ent_scripted.view[self.owner.view[ids]], np.bool_)
