"""bitcoind JSON-RPC: ``getblock`` replies saved as files, and a live node.

``getblock <hash> 2`` gives full transactions; ``3`` (Bitcoin Core >= 23) adds each input's
``prevout``, which fills the ``prev_*`` input columns. Amounts are BTC decimals, parsed with
:class:`~decimal.Decimal` and turned into satoshi exactly. A transaction's ``hex`` is the
ground truth for version, locktime, size, vsize and witness; it must hash to the txid.
Output scripts are classified from ``scriptPubKey.hex``, never from the node's ``type``.

Errors::

    ChainsleuthError
     └── BitcoindError   the node cannot be reached, refuses auth, or keeps failing
          └── RpcError   the node answered a call with a JSON-RPC error (has .code)
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from chainsleuth.chain.batch import ChainBatch
from chainsleuth.chain.readers._utxo_rows import (
    INT32,
    MAX_MONEY,
    UINT32_MAX,
    ZERO_HASH,
    Fields,
    UtxoRows,
    expand_paths,
    header_hash,
    json_records,
    sha256d,
    source_name,
)
from chainsleuth.errors import Invalid, MalformedRecord, Unavailable

_IN_WARMUP = -28
_INVALID_PARAMETER = (-8, -1, -32602)  # how nodes refuse getblock verbosity 3
_BLOCKS_PER_REQUEST = 10
_JSON = {"Content-Type": "application/json"}  # getblock replies are large: few per HTTP round trip


@dataclass(frozen=True)
class _Shape:
    version: int
    locktime: int
    size: int
    vsize: int
    has_witness: bool


def _varint(raw: bytes, pos: int) -> tuple[int, int]:
    width = {0xFD: 2, 0xFE: 4, 0xFF: 8}.get(raw[pos], 0)
    if pos + 1 + width > len(raw):
        raise IndexError(pos)
    if not width:
        return raw[pos], pos + 1
    return int.from_bytes(raw[pos + 1 : pos + 1 + width], "little"), pos + 1 + width


def _hex_shape(tx: Fields, txid: bytes) -> _Shape:
    """Version, locktime, sizes and witness flag from the serialized transaction."""
    raw = tx.hexbytes("hex")
    witness = len(raw) > 6 and raw[4] == 0 and raw[5] == 1
    pos = 6 if witness else 4
    try:
        for skip in (36, 8):  # inputs: outpoint, script, sequence; outputs: value, script
            count, pos = _varint(raw, pos)
            for _ in range(count):
                length, pos = _varint(raw, pos + skip)
                pos += length + (4 if skip == 36 else 0)
    except IndexError:
        tx.fail("hex", "truncated transaction")
    if pos + 4 > len(raw) or (not witness and pos + 4 != len(raw)):
        tx.fail("hex", "bytes do not end where the transaction does")
    stripped = raw[:4] + raw[6:pos] + raw[-4:] if witness else raw
    if sha256d(stripped)[::-1] != txid:
        tx.fail("hex", "does not hash to the txid")
    return _Shape(
        version=int.from_bytes(raw[:4], "little", signed=True),
        locktime=int.from_bytes(raw[-4:], "little"),
        size=len(raw),
        vsize=(3 * len(stripped) + len(raw) + 3) // 4,
        has_witness=witness,
    )


def _json_shape(tx: Fields) -> _Shape:
    """The same from the decoded fields, for replies without ``hex``."""
    size, vsize = tx.integer("size", 0, INT32[1]), tx.integer("vsize", 0, INT32[1])
    vin = tx.array("vin")
    witness = any(isinstance(v, Mapping) and v.get("txinwitness") for v in vin)
    return _Shape(tx.int32("version"), tx.uint32("locktime"), size, vsize, size != vsize or witness)


def _add_input(rows: UtxoRows, vin: Fields, *, txid: bytes, height: int, index: int) -> None:
    prev_txid, prev_vout, value, prev = ZERO_HASH, UINT32_MAX, None, None
    if "coinbase" not in vin.data:
        prev_txid, prev_vout = vin.hash("txid"), vin.uint32("vout")
        if vin.has("prevout"):
            prevout = vin.child("prevout")
            value = prevout.sats("value", btc=True)
            prev = prevout.child("scriptPubKey").hexbytes("hex", allow_empty=True)
    rows.add_input(
        prev,
        txid=txid,
        height=height,
        index=index,
        prev_txid=prev_txid,
        prev_vout=prev_vout,
        sequence=vin.uint32("sequence"),
        prev_value=value,
    )


def _add_tx(rows: UtxoRows, tx: Fields, *, height: int, block_hash: bytes, index: int) -> None:
    txid = tx.hash("txid")
    shape = _hex_shape(tx, txid) if tx.has("hex") else _json_shape(tx)
    vin, vout = tx.children("vin"), tx.children("vout")
    for i, txin in enumerate(vin):
        _add_input(rows, txin, txid=txid, height=height, index=i)
    total = 0
    for n, out in enumerate(vout):
        if out.has("n") and out.integer("n") != n:
            out.fail("n", f"is {out.integer('n')} at position {n}")
        value = out.sats("value", btc=True)
        total += value
        script = out.child("scriptPubKey").hexbytes("hex", allow_empty=True)
        rows.add_output(script, txid=txid, height=height, vout=n, value=value)
    if total > MAX_MONEY:
        tx.fail("vout", f"outputs sum to {total} sat, more than all bitcoin")
    rows.add(
        "transactions",
        txid=txid,
        height=height,
        block_hash=block_hash,
        index=index,
        version=shape.version,
        locktime=shape.locktime,
        size=shape.size,
        vsize=shape.vsize,
        is_coinbase=bool(vin) and "coinbase" in vin[0].data,
        has_witness=shape.has_witness,
        input_count=len(vin),
        output_count=len(vout),
        output_value=total,
    )


def _coinbase_script(coinbase: Fields) -> bytes:
    vin = coinbase.children("vin")
    if not vin:
        coinbase.fail("vin", "the coinbase transaction has no inputs")
    return vin[0].hexbytes("coinbase", allow_empty=True)


def _add_block(rows: UtxoRows, blk: Fields) -> None:
    """Append one ``getblock`` verbosity 2/3 result to ``rows``."""
    height, block_hash = blk.integer("height", 0, INT32[1]), blk.hash("hash")
    prev = blk.hash("previousblockhash") if height or blk.has("previousblockhash") else ZERO_HASH
    if not blk.array("tx") or not isinstance(blk.array("tx")[0], Mapping):
        blk.fail("tx", "needs getblock verbosity 2 or 3 (full transactions)")
    txs = blk.children("tx")
    tx_count = blk.integer("nTx", 1, INT32[1]) if blk.has("nTx") else len(txs)
    if tx_count != len(txs):
        blk.fail("nTx", f"says {tx_count} transactions, tx holds {len(txs)}")
    version, merkle = blk.int32("version"), blk.hash("merkleroot")
    seconds, bits, nonce = blk.uint32("time"), blk.hexint("bits"), blk.uint32("nonce")
    header = header_hash(
        version=version, prev=prev, merkle=merkle, time=seconds, bits=bits, nonce=nonce
    )
    if header != block_hash:
        blk.fail("hash", "the header fields do not hash to it")
    for i, tx in enumerate(txs):
        _add_tx(rows, tx, height=height, block_hash=block_hash, index=i)
    rows.add(
        "blocks",
        height=height,
        hash=block_hash,
        prev_hash=prev,
        merkle_root=merkle,
        time=seconds,
        version=version,
        bits=bits,
        nonce=nonce,
        size=blk.integer("size", 0, INT32[1]),
        weight=blk.integer("weight", 0, INT32[1]),
        tx_count=tx_count,
        coinbase_script=_coinbase_script(txs[0]),
    )


def _unwrap(item: Any, path: Path, where: str) -> Fields:
    """A getblock result, out of its JSON-RPC envelope when it has one."""
    if isinstance(item, Mapping) and "result" in item and ("error" in item or "id" in item):
        error = item.get("error")
        if error is not None:
            reason = f"the node answered with an error: {json.dumps(error, default=str)}"
            raise MalformedRecord(path=path, record=where, field="error", reason=reason)
        item = item["result"]
    first = Fields(item, path=path, record=where)
    return Fields(item, path=path, record=f"block {first.integer('height')} ({where})")


def _file_blocks(path: Path) -> Iterator[Fields]:
    """The getblock results in one file."""
    for where, item in json_records(path):
        yield _unwrap(item, path, where)


def _batches(blocks: Sequence[Fields], batch_blocks: int, source: str) -> Iterator[ChainBatch]:
    for start in range(0, len(blocks), batch_blocks):
        rows = UtxoRows()
        for blk in blocks[start : start + batch_blocks]:
            _add_block(rows, blk)
        yield rows.batch(source)


def read_getblock_files(
    paths: Sequence[Path] | Path, *, batch_blocks: int = 500
) -> Iterator[ChainBatch]:
    """Read saved ``getblock <hash> 2`` (or 3) results, blocks sorted by height.

    A file holds a bare result, a JSON-RPC envelope, an array of either, or JSON lines of
    them; a folder means its ``*getblock_*.json`` files. A block found twice is read once.
    """
    files = expand_paths(paths, ("*getblock_*.json",))
    found: dict[bytes, Fields] = {}
    for path in files:
        for blk in _file_blocks(path):
            found.setdefault(blk.hash("hash"), blk)
    ordered = sorted(found.values(), key=lambda b: (b.integer("height"), b.hash("hash")))
    yield from _batches(ordered, batch_blocks, source_name(files))


class BitcoindError(Unavailable):
    """The node cannot be reached, refuses the credentials or keeps failing."""


class RpcError(BitcoindError):
    """The node answered a call with a JSON-RPC error."""

    def __init__(self, method: str, code: int | None, message: str) -> None:
        self.method, self.code, self.message = method, code, message
        super().__init__(f"bitcoind {method}: error {code}: {message}")


def _warming_up(body: Any) -> bool:
    replies = body if isinstance(body, list) else [body]
    return any(
        isinstance(r, Mapping)
        and isinstance(r.get("error"), Mapping)
        and r["error"].get("code") == _IN_WARMUP
        for r in replies
    )


class BitcoindClient:
    """A synchronous bitcoind JSON-RPC client with retries (connection errors, timeouts,
    HTTP 5xx without a JSON-RPC reply, and error -28 while the node warms up)."""

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        cookie_file: str | Path | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parsed = httpx.URL(url)
        if cookie_file is not None:
            try:
                user, _, password = Path(cookie_file).read_text().strip().partition(":")
            except OSError as exc:
                raise BitcoindError(f"{cookie_file}: cannot read the cookie file: {exc}") from exc
        elif user is None and parsed.username:
            user, password = parsed.username, parsed.password
        self.url = str(parsed.copy_with(userinfo=b""))  # never print the password
        auth = httpx.BasicAuth(user, password or "") if user is not None else None
        self.retries, self.backoff = retries, backoff
        self._http = httpx.Client(auth=auth, timeout=timeout, transport=transport)

    def __enter__(self) -> BitcoindClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _post(self, payload: Any) -> Any:
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                reply = self._http.post(self.url, content=json.dumps(payload), headers=_JSON)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            status = reply.status_code
            if status in (401, 403):
                raise BitcoindError(f"{self.url}: HTTP {status}: check user/password or cookie")
            try:
                body = json.loads(reply.content, parse_float=Decimal)
            except (json.JSONDecodeError, UnicodeDecodeError):
                if status >= 500:
                    last = f"HTTP {status}"
                    continue
                raise BitcoindError(f"{self.url}: HTTP {status}: not JSON-RPC") from None
            if not _warming_up(body):
                return body
            last = "node warming up (error -28)"
        raise BitcoindError(f"{self.url}: gave up after {self.retries + 1} attempts: {last}")

    def _result(self, method: str, reply: Any) -> Any:
        if not isinstance(reply, Mapping) or ("result" not in reply and "error" not in reply):
            raise BitcoindError(f"{self.url}: {method}: malformed JSON-RPC reply")
        error = reply.get("error")
        if error is not None:
            if not isinstance(error, Mapping):
                raise RpcError(method, None, str(error))
            raise RpcError(method, error.get("code"), str(error.get("message")))
        return reply.get("result")

    def call(self, method: str, *params: Any) -> Any:
        """One JSON-RPC call; its result."""
        request = {"jsonrpc": "1.0", "id": 0, "method": method, "params": list(params)}
        return self._result(method, self._post(request))

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one JSON-RPC batch request; results in call order."""
        if not calls:
            return []
        body = self._post(
            [
                {"jsonrpc": "1.0", "id": i, "method": m, "params": list(p)}
                for i, (m, p) in enumerate(calls)
            ]
        )
        if not isinstance(body, list):
            self._result(calls[0][0], body)  # a whole-batch error raises here
            raise BitcoindError(f"{self.url}: a batch request got a single reply")
        by_id = {r.get("id"): r for r in body if isinstance(r, Mapping)}
        return [self._result(m, by_id.get(i)) for i, (m, _) in enumerate(calls)]

    def getblockcount(self) -> int:
        return int(self.call("getblockcount"))

    def getblockhash(self, height: int) -> str:
        return str(self.call("getblockhash", height))

    def getblock(self, block_hash: str, verbosity: int = 1) -> Any:
        return self.call("getblock", block_hash, verbosity)

    def getrawtransaction(self, txid: str, verbose: bool = True) -> Any:
        return self.call("getrawtransaction", txid, verbose)


def _getblocks(client: BitcoindClient, hashes: Sequence[Any], verbosity: int) -> tuple[Any, int]:
    """getblock replies for ``hashes``; verbosity 3 falls back to 2 on nodes before v23."""
    try:
        return client.batch([("getblock", [h, verbosity]) for h in hashes]), verbosity
    except RpcError as exc:
        if verbosity < 3 or exc.code not in _INVALID_PARAMETER:
            raise
    return client.batch([("getblock", [h, 2]) for h in hashes]), 2


def read_bitcoind_rpc(
    client: BitcoindClient,
    *,
    start: int,
    end: int | None = None,
    batch_blocks: int = 100,
    verbosity: int = 3,
) -> Iterator[ChainBatch]:
    """Fetch blocks ``start..end`` (inclusive; ``end`` defaults to the tip) from a node.

    Each batch holds ``batch_blocks`` blocks; replies are converted as they arrive, so
    memory stays near one batch of canonical rows.
    """
    if start < 0 or batch_blocks < 1 or verbosity not in (2, 3):
        raise Invalid(f"bad block range or options: {start=}, {batch_blocks=}, {verbosity=}")
    last = client.getblockcount() if end is None else end
    for first in range(start, last + 1, batch_blocks):
        heights = list(range(first, min(first + batch_blocks, last + 1)))
        hashes = client.batch([("getblockhash", [h]) for h in heights])
        rows = UtxoRows()
        for at in range(0, len(heights), _BLOCKS_PER_REQUEST):
            group = slice(at, at + _BLOCKS_PER_REQUEST)
            replies, verbosity = _getblocks(client, hashes[group], verbosity)
            for height, reply in zip(heights[group], replies, strict=True):
                blk = Fields(reply, path=client.url, record=f"block {height}")
                if blk.integer("height") != height:
                    blk.fail("height", f"asked for block {height}")
                _add_block(rows, blk)
        yield rows.batch(client.url)
