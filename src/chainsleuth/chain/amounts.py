"""Exact account-chain amounts in Arrow: decimal128(38, 0) plus an overflow column.

Native coin values always fit 38 digits; a token value that does not (spam tokens mint
absurd numbers) is kept exactly as big-endian bytes in ``<name>_overflow`` and its
decimal column is null. See :mod:`chainsleuth.chain.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pyarrow as pa

from chainsleuth.chain.schema import AMOUNT, AMOUNT_OVERFLOW
from chainsleuth.errors import Invalid

MAX_DECIMAL = 10**38 - 1
MAX_UINT256 = 2**256 - 1


def amount_arrays(values: Sequence[int | None]) -> tuple[pa.Array, pa.Array]:
    """Split non-negative integers into (decimal column, overflow column)."""
    dec: list[Decimal | None] = []
    over: list[bytes | None] = []
    for v in values:
        if v is None:
            dec.append(None)
            over.append(None)
        elif v < 0 or v > MAX_UINT256:
            raise Invalid(f"amount {v} is outside 0..2**256-1")
        elif v <= MAX_DECIMAL:
            dec.append(Decimal(v))
            over.append(None)
        else:
            dec.append(None)
            over.append(v.to_bytes(32, "big"))
    return pa.array(dec, AMOUNT), pa.array(over, AMOUNT_OVERFLOW)


def decimal_array(values: Sequence[int | None]) -> pa.Array:
    """A decimal column for amounts that must fit 38 digits (ether, gas prices)."""
    dec, over = amount_arrays(values)
    if over.null_count != len(over):
        raise Invalid("a native-coin amount exceeds 38 digits")
    return dec


def amount_value(value: Decimal | None, overflow: bytes | None) -> int | None:
    """The exact integer behind one (decimal, overflow) pair."""
    if value is not None:
        return int(value)
    if overflow is not None:
        return int.from_bytes(overflow, "big")
    return None
