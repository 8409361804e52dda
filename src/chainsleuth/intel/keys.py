"""Address text -> (namespace, key): the same keys the chain store uses, built in bulk.

Three namespaces:

- ``btc``: Bitcoin mainnet, key = script-type byte + payload, as the store's UTXO address
  keys (:func:`chainsleuth.chain.address.address_key`); text parsed by ``parse_address``.
- ``evm``: any ``0x`` + 40 hex address (ETH, ETC, BSC, ARB, ERC-20 tokens), key = the 20
  raw bytes, as the store's account keys; case (EIP-55 checksum or not) does not matter.
  One key controls the same address on every EVM chain, so a match crosses them on purpose.
- ``text``: every other chain (LTC, TRX, XMR, ...) and text that fails to parse: key =
  the trimmed text itself, matched exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chainsleuth.chain.address import address_key, parse_address
from chainsleuth.errors import Invalid
from chainsleuth.store.keys import flat

NAMESPACES = ("btc", "evm", "text")
BTC, EVM, TEXT = 0, 1, 2
BITCOIN_CODES = frozenset({"BTC", "XBT"})
OMNI_CODES = frozenset({"USDT"})  # Tether on Omni lives at Bitcoin addresses
_EVM_PATTERN = "^0[xX][0-9a-fA-F]{40}$"
_HEX = np.full(256, 0, np.uint8)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
    _HEX[ord(chr(_c).upper())] = _i


def _evm_bytes(texts: pa.Array) -> pa.Array:
    """20-byte keys from validated ``0x`` + 40 hex texts, decoded with array arithmetic."""
    digits = pc.utf8_slice_codeunits(texts, 2, 42).cast(pa.binary())
    data, _ = flat(digits)
    nibbles = _HEX[data].reshape(-1, 20, 2)
    raw = (nibbles[:, :, 0] << 4) | nibbles[:, :, 1]
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(20), len(texts), [None, pa.py_buffer(np.ascontiguousarray(raw))]
    )
    return fixed.cast(pa.binary())


def _btc_keys(texts: list[str | None]) -> tuple[npt.NDArray[np.bool_], list[bytes]]:
    """Which texts parse as Bitcoin mainnet addresses, and their keys (parsing is per text)."""
    ok = np.zeros(len(texts), bool)
    keys: list[bytes] = []
    for i, text in enumerate(texts):
        if text is None:
            continue
        try:
            key = address_key(*parse_address(text))
        except Invalid:
            continue
        if key is not None:
            ok[i] = True
            keys.append(bytes([key[0]]) + key[1])
    return ok, keys


def address_keys(
    addresses: pa.Array | list[str], currencies: pa.Array | list[str | None] | None = None
) -> pa.Table:
    """Namespace and key of each address; ``currencies`` (codes) steer Bitcoin parsing.

    Without a currency an address is tried as EVM, then Bitcoin, then kept as text.
    Returns columns ``address`` (trimmed text), ``namespace`` and ``key``.
    """
    text = pc.utf8_trim_whitespace(pa.array(addresses, pa.string()))
    n = len(text)
    codes = np.full(n, TEXT, np.uint8)
    keys = text.cast(pa.binary())
    evm = np.asarray(pc.fill_null(pc.match_substring_regex(text, _EVM_PATTERN), False))
    if evm.any():
        codes[evm] = EVM
        keys = pc.replace_with_mask(keys, pa.array(evm), _evm_bytes(text.filter(pa.array(evm))))
    try_btc = ~evm
    if currencies is not None:
        cur = pc.utf8_upper(pa.array(currencies, pa.string()))
        wanted = pa.array(sorted(BITCOIN_CODES | OMNI_CODES))
        bitcoinish = pc.or_kleene(pc.is_in(cur, value_set=wanted), pc.is_null(cur))
        try_btc &= np.asarray(pc.fill_null(bitcoinish, False))
    idx = np.flatnonzero(try_btc)
    ok, btc_keys = _btc_keys(text.take(pa.array(idx)).to_pylist())
    if ok.any():
        mask = np.zeros(n, bool)
        mask[idx[ok]] = True
        codes[mask] = BTC
        keys = pc.replace_with_mask(keys, pa.array(mask), pa.array(btc_keys, pa.binary()))
    namespace = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(NAMESPACES))
    return pa.table(
        {"address": text, "namespace": namespace.cast(pa.string()), "key": keys.cast(pa.binary())}
    )
