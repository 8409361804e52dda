"""Peel chains: follow the largest output hop by hop and list what is peeled off.

A peel chain spends one big coin into a small payment and large change, then spends the
change again (Meiklejohn et al., "A Fistful of Bitcoins", IMC 2013). Following the
largest output is the usual heuristic; equal values go to the lower vout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis.graph import NO_ID, UtxoGraph

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class PeelChain:
    """``chain``: the followed output rows, start first; ``txs``: the tx spending each
    (the last may be unspent); ``peeled`` / ``peeled_hop``: the other outputs of those
    txs and the hop they left at; ``end``: why following stopped."""

    chain: I64
    txs: I64
    peeled: I64
    peeled_hop: I64
    end: str

    def to_json(self) -> dict[str, Any]:
        return {
            "chain": self.chain.tolist(),
            "txs": self.txs.tolist(),
            "peeled": [
                {"output": int(o), "hop": int(h)}
                for o, h in zip(self.peeled, self.peeled_hop, strict=True)
            ],
            "end": self.end,
        }


def follow_peel(
    g: UtxoGraph, start: int, *, max_hops: int = 100, max_outputs: int = 2
) -> PeelChain:
    """Follow output row ``start`` through at most ``max_hops`` spends; a spending tx with
    more than ``max_outputs`` outputs ends the chain (no longer a peel)."""
    chain, txs, peeled, hops = [start], [], [], []
    row, end = start, "hops"
    for hop in range(1, max_hops + 1):
        t = int(g.out_spent_tx[row])
        if t == int(NO_ID):
            end = "unspent"
            break
        txs.append(t)
        o0, o1 = int(g.out_start[t]), int(g.out_start[t + 1])
        if o1 - o0 > max_outputs or o1 == o0:
            end = "not a peel"
            break
        big = o0 + int(np.argmax(g.out_value[o0:o1]))  # argmax: first of equal maxima
        others = [o for o in range(o0, o1) if o != big]
        peeled.extend(others)
        hops.extend([hop] * len(others))
        chain.append(big)
        row = big
    return PeelChain(
        np.asarray(chain, np.int64), np.asarray(txs, np.int64),
        np.asarray(peeled, np.int64), np.asarray(hops, np.int64), end,
    )  # fmt: skip
