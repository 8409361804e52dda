"""Pieces the JSON and CSV UTXO readers share.

:class:`Fields` reads one record (a JSON object or CSV row) and raises
:class:`~chainsleuth.errors.MalformedRecord` naming file, record and field.
:class:`UtxoRows` collects canonical column values and turns them into a
:class:`~chainsleuth.chain.batch.ChainBatch`, classifying all output scripts of the batch
in one :func:`~chainsleuth.chain.script.classify_many` call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import pyarrow as pa

from chainsleuth.chain.address import address_key
from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.schema import UTXO_TABLES
from chainsleuth.chain.script import ScriptType, classify_many
from chainsleuth.errors import Invalid, MalformedRecord

ZERO_HASH = bytes(32)
UINT32_MAX = 0xFFFFFFFF
INT32 = (-(2**31), 2**31 - 1)
MAX_MONEY = 21_000_000 * 100_000_000
SATS_PER_BTC = Decimal(100_000_000)


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, the hash of block headers and transactions (internal byte order)."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def header_hash(
    *, version: int, prev: bytes, merkle: bytes, time: int, bits: int, nonce: int
) -> bytes:
    """The display-order hash of the 80-byte header built from display-order fields."""
    header = (
        (version & UINT32_MAX).to_bytes(4, "little")
        + prev[::-1]
        + merkle[::-1]
        + b"".join(v.to_bytes(4, "little") for v in (time, bits, nonce))
    )
    return sha256d(header)[::-1]


def expand_paths(paths: Sequence[Path] | Path, patterns: tuple[str, ...]) -> list[Path]:
    """Files named, folders expanded to their files matching ``patterns`` (sorted)."""
    files: list[Path] = []
    for path in [paths] if isinstance(paths, Path) else [Path(p) for p in paths]:
        if path.is_dir():
            files.extend(sorted({f for pat in patterns for f in path.glob(pat) if f.is_file()}))
        elif path.is_file():
            files.append(path)
        else:
            raise Invalid(f"{path}: no such file or folder")
    return files


def source_name(files: Sequence[Path]) -> str:
    """How a batch names the files it came from."""
    if len(files) == 1:
        return str(files[0])
    return f"{files[0]} and {len(files) - 1} more files" if files else ""


def read_text(path: Path) -> str:
    """A whole UTF-8 file; bad bytes are a malformed record, not a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRecord(
            path=path, record=f"byte offset {exc.start}", reason="not UTF-8 text"
        ) from exc


def _parses(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True


def json_records(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, value) for each record of a JSON file: the document, the items of a top-level
    array, or JSON lines (told apart by the first line parsing on its own).

    Numbers with a fraction become :class:`~decimal.Decimal`, so BTC amounts stay exact.
    """
    text = read_text(path)
    lines = text.splitlines()
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if len(filled) > 1 and _parses(lines[filled[0]]):
        for i in filled:
            yield f"line {i + 1}", _load(lines[i], path, i + 1)
        return
    doc = _load(text, path, 1) if filled else []
    if isinstance(doc, list):
        yield from ((f"item {i}", item) for i, item in enumerate(doc))
    else:
        yield f"line {filled[0] + 1}" if len(filled) == 1 else "document", doc


def _load(text: str, path: Path, first_line: int) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        where = f"line {first_line + exc.lineno - 1}"
        raise MalformedRecord(path=path, record=where, reason=f"bad JSON: {exc}") from exc


def _integer(value: Any) -> int | None:
    """An exact integer from JSON (int, Decimal) or CSV text; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str | Decimal):
        try:
            dec = Decimal(value)
        except InvalidOperation:
            return None
        if dec.is_finite() and dec == dec.to_integral_value():
            return int(dec)
    return None


class Fields:
    """One record of a source with typed, located field access."""

    __slots__ = ("data", "path", "prefix", "record")

    def __init__(self, data: Any, *, path: str | Path, record: str | int, prefix: str = "") -> None:
        self.path = str(path)
        self.record = record
        self.prefix = prefix
        if not isinstance(data, Mapping):
            self.fail(None, f"expected an object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data

    def fail(self, name: str | None, reason: str) -> NoReturn:
        field = f"{self.prefix}{name}" if name else self.prefix.rstrip(".") or None
        raise MalformedRecord(path=self.path, record=self.record, field=field, reason=reason)

    def has(self, name: str) -> bool:
        """Whether the field is present and not null (CSV: not empty)."""
        return self.data.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        if not self.has(name):
            self.fail(name, "missing or null")
        return self.data[name]

    def integer(self, name: str, lo: int = -(2**63), hi: int = 2**63 - 1) -> int:
        value = self.raw(name)
        number = _integer(value)
        if number is None:
            self.fail(name, f"not an integer: {value!r}")
        if not lo <= number <= hi:
            self.fail(name, f"{number} is outside {lo}..{hi}")
        return number

    def uint32(self, name: str) -> int:
        return self.integer(name, 0, UINT32_MAX)

    def int32(self, name: str) -> int:
        """A signed 32-bit field; values printed unsigned (0x80000000..) wrap as on the wire."""
        number = self.integer(name, INT32[0], UINT32_MAX)
        return number - 2**32 if number > INT32[1] else number

    def hexint(self, name: str) -> int:
        """A uint32 written as hex text (bits, bitcoin-etl nonce) or as a JSON integer."""
        value = self.raw(name)
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value), 16)
            except ValueError:
                self.fail(name, f"not hex: {value!r}")
        if not 0 <= number <= UINT32_MAX:
            self.fail(name, f"{number} does not fit 32 bits")
        return number

    def hexbytes(self, name: str, *, allow_empty: bool = False) -> bytes:
        value = self.data.get(name)
        if value is None or (value == "" and not allow_empty):
            self.fail(name, "missing or null")
        if not isinstance(value, str):
            self.fail(name, f"not hex text: {value!r}")
        try:
            return bytes.fromhex(value)
        except ValueError:
            self.fail(name, f"not hex: {value[:80]!r}")

    def hash(self, name: str) -> bytes:
        value = self.hexbytes(name)
        if len(value) != 32:
            self.fail(name, f"a hash has 32 bytes, got {len(value)}")
        return value

    def sats(self, name: str, *, btc: bool = False) -> int:
        """An amount in satoshi; ``btc`` means a decimal BTC number (bitcoind)."""
        value = self.raw(name)
        try:
            dec = Decimal(value) if isinstance(value, str | int | Decimal) else None
        except InvalidOperation:
            dec = None
        if isinstance(value, bool) or dec is None or not dec.is_finite():
            self.fail(name, f"not a number: {value!r}")
        number = _integer(dec * SATS_PER_BTC if btc else dec)
        if number is None:
            self.fail(name, f"{value} is not a whole number of satoshi")
        if not 0 <= number <= MAX_MONEY:
            self.fail(name, f"{number} sat is outside 0..21e14")
        return number

    def boolean(self, name: str) -> bool:
        value = self.raw(name)
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        return self.fail(name, f"not a boolean: {value!r}")

    def array(self, name: str, *, default: list[Any] | None = None) -> list[Any]:
        """A JSON array; CSV cells hold it as JSON text (a bare value is a one-item list)."""
        value = self.data.get(name)
        if value in (None, "") and default is not None:
            return default
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.lstrip().startswith("[") else [value]
            except json.JSONDecodeError as exc:
                self.fail(name, f"not a JSON array: {exc}")
        if not isinstance(value, list):
            self.fail(name, f"not a list: {value!r}")
        return value

    def child(self, name: str) -> Fields:
        """A nested object."""
        prefix = f"{self.prefix}{name}."
        return Fields(self.raw(name), path=self.path, record=self.record, prefix=prefix)

    def children(self, name: str, *, default: list[Any] | None = None) -> list[Fields]:
        """The objects of a nested array."""
        return [
            Fields(item, path=self.path, record=self.record, prefix=f"{self.prefix}{name}[{i}].")
            for i, item in enumerate(self.array(name, default=default))
        ]


AddressKey = tuple[ScriptType, bytes]
# Columns filled in by UtxoRows.batch rather than by the reader.
_DEFERRED = {
    "outputs": {"script_type", "payload"},
    "inputs": {"prev_address_type", "prev_address"},
}


class UtxoRows:
    """Canonical column values of a block range, appended record by record."""

    def __init__(self) -> None:
        self._cols: dict[str, dict[str, list[Any]]] = {
            table: {f.name: [] for f in schema} for table, schema in UTXO_TABLES.items()
        }
        self._scripts: list[bytes] = []
        self._prev_keys: list[AddressKey | bytes | None] = []

    @property
    def block_count(self) -> int:
        return len(self._cols["blocks"]["height"])

    def add(self, table: str, **values: Any) -> None:
        cols = self._cols[table]
        expected = cols.keys() - _DEFERRED.get(table, set())
        if values.keys() != expected:
            raise TypeError(f"{table}: columns {sorted(values.keys() ^ expected)} mismatch")
        for name, col in cols.items():
            col.append(values.get(name))

    def add_output(self, script: bytes, **values: Any) -> None:
        self._scripts.append(script)
        self.add("outputs", **values)

    def add_input(self, prev: AddressKey | bytes | None, **values: Any) -> None:
        """``prev`` is the spent output's address key, its script (to classify), or None."""
        self._prev_keys.append(prev)
        self.add("inputs", **values)

    def batch(self, source: str) -> ChainBatch:
        """The rows so far as a canonical batch."""
        outputs = self._cols["outputs"]
        types, payloads = classify_many(self._scripts)
        outputs["script_type"] = [int(t) for t in types]
        outputs["payload"] = payloads
        inputs = self._cols["inputs"]
        keys = self._prev_address_keys()
        inputs["prev_address_type"] = [None if k is None else int(k[0]) for k in keys]
        inputs["prev_address"] = [None if k is None else k[1] for k in keys]
        tables = {
            name: pa.Table.from_pydict(cols, schema=UTXO_TABLES[name])
            for name, cols in self._cols.items()
        }
        return ChainBatch("utxo", tables, source)

    def _prev_address_keys(self) -> list[AddressKey | None]:
        scripts = [k for k in self._prev_keys if isinstance(k, bytes)]
        classified = iter(zip(*classify_many(scripts), strict=True))
        return [
            address_key(*next(classified)) if isinstance(k, bytes) else k for k in self._prev_keys
        ]
