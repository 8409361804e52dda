"""Key -> dense uint32 id, kept on disk as sorted runs of (uint64 key hash, uint32 id).

Lookups hash a whole batch of keys at once, binary-search every run with
``np.searchsorted`` and confirm each hit against the stored key bytes, so a hash collision
never merges two keys. Each batch adds one run; runs are merged LSM-style (when a run is
at least half the size of the one before it), which keeps O(log n) runs on disk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.errors import Invalid
from chainsleuth.store.keys import I64, NO_ID, U8, U64, flat, key_hashes, keys_equal
from chainsleuth.store.segments import KeyPieces

U32 = npt.NDArray[np.uint32]
MAX_ID = int(NO_ID) - 1


@dataclass
class Run:
    """Sorted hashes and their ids; ``prefix`` is None until the run is written."""

    h: U64
    ids: U32
    prefix: str | None = None


class IdMap:
    """One id space (transactions or addresses) of one chain."""

    def __init__(self, kind: str, runs: list[Run], keys: KeyPieces, next_id: int) -> None:
        self.kind = kind
        self.runs = runs
        self.keys = keys
        self.next_id = next_id

    def lookup(self, keys: pa.Array) -> U32:
        """Ids of ``keys`` (binary, no nulls); NO_ID where a key is unknown."""
        query = flat(keys)
        h = key_hashes(*query)
        ids = np.full(len(h), NO_ID, np.uint32)
        todo = np.arange(len(h), dtype=np.int64)
        for run in reversed(self.runs):
            if not len(todo):
                break
            self._probe(run, query, h, todo, ids)
            todo = todo[ids[todo] == NO_ID]
        return ids

    def _probe(self, run: Run, query: tuple[U8, I64], h: U64, todo: I64, ids: U32) -> None:
        pos = np.searchsorted(run.h, h[todo]).astype(np.int64)
        active = todo
        while len(active):  # more than one round only on a 64-bit hash collision
            ok = pos < len(run.h)
            ok[ok] = run.h[pos[ok]] == h[active[ok]]
            active, pos = active[ok], pos[ok]
            if not len(active):
                return
            cand = np.asarray(run.ids[pos], np.uint32)
            same = self._verify(query, active, cand)
            ids[active[same]] = cand[same]
            active, pos = active[~same], pos[~same] + 1

    def _verify(self, query: tuple[U8, I64], qidx: I64, cand: U32) -> npt.NDArray[np.bool_]:
        out = np.zeros(len(qidx), bool)
        seg = np.searchsorted(np.asarray(self.keys.bases, np.int64), cand, "right") - 1
        for s in np.unique(seg):
            mask = seg == s
            local = cand[mask].astype(np.int64) - self.keys.bases[int(s)]
            out[mask] = keys_equal(query, qidx[mask], self.keys.piece(int(s)), local)
        return out

    def assign(self, unique_keys: pa.Array) -> tuple[U32, pa.Array]:
        """Ids of distinct keys, new ones numbered on in order; also return the new keys."""
        ids = self.lookup(unique_keys)
        missing = ids == NO_ID
        n_new = int(missing.sum())
        if self.next_id + n_new > MAX_ID:
            raise Invalid(f"{self.kind} ids exhausted: more than {MAX_ID} distinct keys")
        ids[missing] = np.arange(self.next_id, self.next_id + n_new, dtype=np.uint32)
        new_keys = unique_keys.filter(pa.array(missing))
        if n_new:
            data, offsets = flat(new_keys)
            self.keys.append(self.next_id, data, offsets)
            h = key_hashes(data, offsets)
            order = np.argsort(h, kind="stable")
            self.runs.append(Run(h[order], ids[missing][order]))
            self._merge()
        self.next_id += n_new
        return ids, new_keys

    def add_rows(self, keys: pa.Array) -> U32:
        """Give row ``i`` of ``keys`` id ``next_id + i``; a key already known keeps its id.

        Key bytes are kept for every row so ids stay contiguous; only a key's first row
        enters the map (txids repeat only for the two BIP30 coinbases).
        """
        n = len(keys)
        if self.next_id + n > MAX_ID:
            raise Invalid(f"{self.kind} ids exhausted: more than {MAX_ID} keys")
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.uint32)
        known = self.lookup(keys) != NO_ID
        first = np.zeros(n, bool)
        first[np.unique(pc.dictionary_encode(keys).indices.to_numpy(), return_index=True)[1]] = True
        data, offsets = flat(keys)
        new = first & ~known
        self.keys.append(self.next_id, data, offsets)
        h = key_hashes(data, offsets)[new]
        order = np.argsort(h, kind="stable")
        if len(h):
            self.runs.append(Run(h[order], ids[new][order]))
            self._merge()
        self.next_id += n
        return ids

    def _merge(self) -> None:
        while len(self.runs) >= 2 and len(self.runs[-2].h) <= 2 * len(self.runs[-1].h):
            a, b = self.runs[-2], self.runs.pop()
            h = np.concatenate([a.h, b.h])
            order = np.argsort(h, kind="stable")
            self.runs[-1] = Run(h[order], np.concatenate([a.ids, b.ids])[order])

    def truncate(self, n: int) -> None:
        """Forget ids ``>= n`` (a reorg's rollback); rewritten runs become pending."""
        for i, run in enumerate(self.runs):
            keep = run.ids < n
            if not keep.all():
                self.runs[i] = Run(run.h[keep], run.ids[keep])
        self.runs = [r for r in self.runs if len(r.h)]
        self.next_id = n
