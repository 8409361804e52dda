"""One example path per exposure contributor: the transactions that carried its taint.

Walks a finished :class:`~chainsleuth.analysis.Trace` from a resting coin back towards the
subject, at each step taking the most tainted coin of the linking transaction (forward:
the creator's inputs; backward: the spender's outputs). It reads only the coins on the
way, so explaining a score costs about hops x (inputs or outputs of a transaction).
On account chains (:func:`account_path`) a step goes from a transfer to the transfer
that brought taint to its holder before it: the nearest hop first, then the most taint.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from chainsleuth.analysis import NO_ID, STATUS_NAMES, Trace, UtxoGraph

I64 = npt.NDArray[np.int64]
_FOLLOWED = STATUS_NAMES.index("followed")


def _item_of(tr: Trace, rows: I64) -> I64:
    """Item index of each output row (items are sorted by row), -1 where it has no taint."""
    pos = np.searchsorted(tr.item_ref, rows)
    ok = pos < tr.n_items
    ok[ok] = tr.item_ref[pos[ok]] == rows[ok]
    return np.where(ok, pos, -1)


def _step(g: UtxoGraph, tr: Trace, item: int) -> tuple[int, int]:
    """(linking tx, the most tainted coin on the subject's side of it, or -1)."""
    row = int(tr.item_ref[item])
    if tr.direction == "forward":
        tx = int(tr.item_tx[item])
        rows = g.in_prev_out[g.in_start[tx] : g.in_start[tx + 1]]
        rows = rows[rows >= 0]
    else:
        tx = int(g.out_spent_tx[row])
        if tx == int(NO_ID):
            return -1, -1
        rows = np.arange(g.out_start[tx], g.out_start[tx + 1], dtype=np.int64)
    items = _item_of(tr, rows.astype(np.int64))
    items = items[(items >= 0) & (items != item)]
    if not len(items):
        return tx, -1
    return tx, int(items[np.argmax(tr.item_taint[items])])


def example_path(g: UtxoGraph, tr: Trace, item: int) -> tuple[int, ...]:
    """Tx ids from the subject's own transaction out to the one that reached ``item``."""
    path: list[int] = []
    # each step moves strictly back (forward trace) or on (backward) in tx order: it ends
    while tr.item_hop[item] > 0:
        tx, prev = _step(g, tr, item)
        if tx < 0:
            break
        if not path or path[-1] != tx:
            path.append(tx)
        if prev < 0:
            break
        item = prev
    return tuple(reversed(path))


def account_path(tr: Trace, item: int) -> tuple[int, ...]:
    """Tx ids from the trace's start transfer (hop 0) out to the transfer ``item``."""
    fwd = tr.direction == "forward"
    holder, receiver = (tr.item_src, tr.item_addr) if fwd else (tr.item_addr, tr.item_src)
    given = tr.item_status == _FOLLOWED
    path = [int(tr.item_tx[item])]
    # each step goes to a strictly earlier transfer of the replay (forward: lower edge
    # ids; backward: higher), so the walk ends
    while tr.item_hop[item] > 0:
        ref = tr.item_ref[item]
        before = tr.item_ref < ref if fwd else tr.item_ref > ref
        found = np.flatnonzero(given & before & (receiver == holder[item]))
        if not len(found):
            break
        item = int(found[np.lexsort((-tr.item_taint[found], tr.item_hop[found]))[0]])
        if path[-1] != tr.item_tx[item]:
            path.append(int(tr.item_tx[item]))
    return tuple(reversed(path))
