"""What :func:`chainsleuth.intel.exposure` returns, for UTXO and account chains alike.

Amounts are the chain's base unit: exact integers on UTXO chains, float64 on account
chains (the account taint models split pools in floats; see ``docs/tracing.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import Trace
from chainsleuth.intel.categories import CategoryMap

DIRECTIONS = {"in": ("incoming",), "out": ("outgoing",), "both": ("incoming", "outgoing")}


def json_amount(x: int | float) -> int | str:
    """An amount for JSON: whole base units (account estimates rounded), exact text beyond
    2**53 where a JSON double would lose digits (DESIGN.md)."""
    whole = round(x)
    return str(whole) if abs(whole) >= 2**53 else whole


def num(x: Any) -> int | float:
    """A NumPy or Python number as a plain int (integer types) or float."""
    return int(x) if np.issubdtype(type(x), np.integer) else float(x)


@dataclass(frozen=True)
class CategoryExposure:
    """Value at rest on one category: at hop 1 (direct) and hops 2..N (indirect)."""

    category: str
    direct: int | float
    indirect: int | float
    direct_share: float
    indirect_share: float
    first_hop: int
    addresses: int

    @property
    def amount(self) -> int | float:
        return self.direct + self.indirect

    @property
    def share(self) -> float:
        return self.direct_share + self.indirect_share


@dataclass(frozen=True)
class Contributor:
    """A categorised address where taint came to rest: at which hop, how much, and one
    path of transactions (tx ids, from the subject outward) that carried it there."""

    addr_id: int
    category: str
    hop: int
    amount: int | float
    path: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Exposure:
    """One direction's exposure.

    ``traces`` are the underlying :class:`Trace` runs (UTXO: one; account: one per
    transfer of the subject that reached an untagged counterparty); ``info`` is their
    summary (model, hops, start taint, items, where the traced value ended).
    """

    direction: str
    total: int | float
    categories: tuple[CategoryExposure, ...]
    untagged: dict[str, int | float]
    contributors: tuple[Contributor, ...]
    traces: tuple[Trace, ...]
    info: dict[str, Any]

    def category(self, name: str) -> CategoryExposure | None:
        return next((c for c in self.categories if c.category == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "total": json_amount(self.total),
            "categories": [
                {
                    **c.__dict__,
                    "direct": json_amount(c.direct),
                    "indirect": json_amount(c.indirect),
                    "amount": json_amount(c.amount),
                    "share": c.share,
                }
                for c in self.categories
            ],
            "untagged": {k: json_amount(v) for k, v in self.untagged.items()},
            "contributors": [
                {**c.__dict__, "amount": json_amount(c.amount), "path": list(c.path)}
                for c in self.contributors
            ],
            "trace": self.info,
        }


@dataclass(frozen=True, eq=False)
class ExposureReport:
    """Exposure of one subject in the directions asked for; ``token``: the asset traced
    on an account chain (the token contract's addr_id; None: the native coin)."""

    subject: tuple[int, ...]
    model: str
    max_hops: int
    incoming: Exposure | None
    outgoing: Exposure | None
    token: int | None = None

    def directions(self) -> list[Exposure]:
        return [e for e in (self.incoming, self.outgoing) if e is not None]

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": list(self.subject),
            "model": self.model,
            "max_hops": self.max_hops,
            "token": self.token,
            "incoming": self.incoming.to_json() if self.incoming else None,
            "outgoing": self.outgoing.to_json() if self.outgoing else None,
        }


def by_category(
    cats: CategoryMap,
    addr: npt.NDArray[np.integer],
    hop: npt.NDArray[np.integer],
    taint: npt.NDArray[Any],
    total: int | float,
) -> tuple[CategoryExposure, ...]:
    """Resting amounts (address, hop, taint; categorised addresses only) per category."""
    code = cats.codes[addr.astype(np.int64)]
    out = []
    for c in np.unique(code):
        sel = code == c
        h, t = hop[sel], taint[sel]
        direct, indirect = num(t[h == 1].sum()), num(t[h >= 2].sum())
        out.append(
            CategoryExposure(
                category=cats.names[int(c) - 1],
                direct=direct,
                indirect=indirect,
                direct_share=float(direct / total) if total else 0.0,
                indirect_share=float(indirect / total) if total else 0.0,
                first_hop=int(h.min()),
                addresses=len(np.unique(addr[sel])),
            )
        )
    return tuple(sorted(out, key=lambda e: (-e.amount, e.category)))
