from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from chainsleuth.store import idmap as idmap_mod
from chainsleuth.store.idmap import IdMap
from chainsleuth.store.keys import NO_ID
from chainsleuth.store.segments import KeyPieces


def _keys(names: list[str]) -> pa.Array:
    return pa.array([n.encode() for n in names], pa.binary())


def test_assign_lookup_and_merge() -> None:
    m = IdMap("addr", [], KeyPieces(), 0)
    for i in range(20):
        _, new = m.assign(_keys([f"k{i}", f"k{i + 1}", "shared"]))
        assert len(new) == (3 if i == 0 else 1)
    assert len(m.runs) <= 5  # LSM merging keeps few runs
    got = m.lookup(_keys(["k0", "shared", "k20", "nope"]))
    assert list(got) == [0, 2, 21, NO_ID]
    m.truncate(2)
    assert list(m.lookup(_keys(["k0", "k1", "shared"]))) == [0, 1, NO_ID]


def test_hash_collisions_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    # every key hashes to 7: only the full-key comparison can tell them apart
    monkeypatch.setattr(idmap_mod, "key_hashes", lambda d, o: np.full(len(o) - 1, 7, np.uint64))
    m = IdMap("addr", [], KeyPieces(), 0)
    m.assign(_keys(["a", "b"]))
    m.assign(_keys(["c"]))
    assert list(m.lookup(_keys(["c", "a", "b", "d"]))) == [2, 0, 1, NO_ID]


def test_add_rows_keeps_first_of_repeated_keys() -> None:
    m = IdMap("tx", [], KeyPieces(), 0)
    assert list(m.add_rows(_keys(["x", "y", "x"]))) == [0, 1, 2]
    assert list(m.add_rows(_keys(["y", "z"]))) == [3, 4]
    assert list(m.lookup(_keys(["x", "y", "z"]))) == [0, 1, 4]
