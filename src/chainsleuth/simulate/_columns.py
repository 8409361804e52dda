"""Text columns built whole, for the records a world writes as CSV: no per-row Python."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

U8 = npt.NDArray[np.uint8]


def fixed_text(chars: U8) -> pa.StringArray:
    """One string per row of an ``(n, width)`` array of ASCII codes."""
    n, width = chars.shape
    offsets = np.arange(n + 1, dtype=np.int32) * width
    data = np.ascontiguousarray(chars).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def digit_chars(values: npt.ArrayLike, width: int) -> U8:
    """The decimal digits of non-negative ``values``, zero-padded to ``width``, as ASCII."""
    v = np.asarray(values, np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (48 + (v[:, None] // powers[None, :]) % 10).astype(np.uint8)


def join(*parts: pa.Array | str) -> pa.StringArray:
    """Element-wise concatenation of string columns and constant strings."""
    cols = [pc.cast(p, pa.string()) if isinstance(p, pa.Array) else p for p in parts]
    return pc.binary_join_element_wise(*cols, "")


def iso_times(seconds: npt.ArrayLike) -> pa.StringArray:
    """ISO 8601 UTC text of Unix times, as ``2024-05-01T00:00:00Z``."""
    stamps = pa.array(np.asarray(seconds, np.int64), pa.timestamp("s"))
    return pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ")
