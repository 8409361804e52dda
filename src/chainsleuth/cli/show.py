"""``chainsleuth show block|tx|address``: one thing from the store, readable."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.table import Table

from chainsleuth.cli._app import group
from chainsleuth.cli._options import ChainOption, JsonFlag, StoreOption, store_at
from chainsleuth.cli._render import btc, emit, kv_table
from chainsleuth.errors import Invalid, NotFound
from chainsleuth.store import (
    AccountTransactionInfo,
    AddressInfo,
    BlockInfo,
    ChainStore,
    TransactionInfo,
)

show_app = group("Show one block, transaction or address from the store.")

LimitOption = Annotated[int, typer.Option(min=1, help="How many transactions to list.")]


def _eth(wei: int | None) -> str:
    if wei is None:
        return "unknown"
    whole, frac = divmod(wei, 10**18)
    return f"{whole:,}.{frac:018d}".rstrip("0").rstrip(".") + " ETH"


def _money(family: str, value: int | None) -> str:
    return btc(value) if family == "utxo" else _eth(value)


def _find(store: ChainStore, chain: str | None, lookup: Any, what: str, ident: str) -> Any:
    """Ask the named chain, or each chain in turn until one knows ``ident``."""
    names = [chain] if chain else [c.name for c in store.chains()]
    for name in names:
        try:
            return lookup(name)
        except (NotFound, Invalid):
            if chain:
                raise
    raise NotFound(f"{what} {ident} is in none of the chains {', '.join(names) or '(empty store)'}")


def _block_view(b: BlockInfo) -> RenderableType:
    rows: list[tuple[str, Any]] = [
        ("chain", b.chain),
        ("height", f"{b.height:,}"),
        ("hash", b.hash),
        ("previous", b.prev_hash),
        ("time", b.time),
        ("transactions", f"{b.tx_count:,}"),
        *sorted(b.header.items()),
    ]
    txids = "\n".join(b.txids[:20]) + (
        f"\n... {len(b.txids) - 20} more" if len(b.txids) > 20 else ""
    )
    return Group(kv_table(f"block {b.height}", rows), kv_table("transactions", [("txids", txids)]))


def _utxo_tx_view(t: TransactionInfo) -> RenderableType:
    rate = f" ({t.fee / t.vsize:,.1f} sat/vB)" if t.fee is not None and t.vsize else ""
    head = kv_table(
        f"transaction {t.txid}",
        [
            ("block", f"{t.height:,} ({t.block_hash}), position {t.index}"),
            ("size", f"{t.size:,} bytes, {t.vsize:,} vbytes"),
            ("in", btc(t.input_value) if not t.is_coinbase else "coinbase (new coins)"),
            ("out", btc(t.output_value)),
            ("fee", btc(t.fee) + rate if not t.is_coinbase else "n/a"),
        ],
    )
    ins = Table(title="inputs", title_justify="left")
    for col in ("#", "spends", "address", "value", "resolved from"):
        ins.add_column(col, justify="right" if col == "value" else "left", overflow="fold")
    for i in t.inputs:
        ins.add_row(
            str(i.index),
            f"{i.prev_txid[:16]}…:{i.prev_vout}",
            i.address or "",
            btc(i.value),
            i.resolution,
        )
    outs = Table(title="outputs", title_justify="left")
    for col in ("#", "address", "type", "value", "spent by"):
        outs.add_column(col, justify="right" if col == "value" else "left", overflow="fold")
    for o in t.outputs:
        outs.add_row(
            str(o.vout), o.address or "", o.script_type, btc(o.value), (o.spent_by or "")[:16]
        )
    return Group(head, ins, outs)


def _account_tx_view(t: AccountTransactionInfo) -> RenderableType:
    head = kv_table(
        f"transaction {t.hash}",
        [
            ("block", f"{t.block_number:,}, position {t.index}"),
            ("from", t.from_address),
            ("to", t.to_address or "(contract creation)"),
            ("value", _eth(t.value)),
            ("status", {1: "success", 0: "failed", None: "unknown"}.get(t.status, str(t.status))),
        ],
    )
    moves = Table(title="value transfers", title_justify="left")
    for col in ("kind", "from", "to", "value", "token"):
        moves.add_column(col, overflow="fold")
    for m in t.transfers:
        value = _eth(m.value) if m.token is None else f"{m.value:,}" if m.value is not None else "?"
        moves.add_row(m.kind, m.from_address or "", m.to_address or "", value, m.token or "")
    return Group(head, moves)


def _address_view(a: AddressInfo, family: str) -> RenderableType:
    head = kv_table(
        f"address {a.address}",
        [
            ("chain", a.chain),
            ("received", _money(family, a.received)),
            ("sent", _money(family, a.sent)),
            ("balance", _money(family, a.balance)),
            ("transactions", f"{a.tx_count:,}"),
            ("first / last seen", f"block {a.first_seen} / block {a.last_seen}"),
        ],
    )
    txs = Table(title="transactions (newest first)", title_justify="left")
    for col in ("txid", "height", "received", "sent"):
        txs.add_column(col, justify="left" if col == "txid" else "right", overflow="fold")
    for t in a.txs:
        txs.add_row(t.txid, f"{t.height:,}", _money(family, t.received), _money(family, t.sent))
    parts: list[RenderableType] = [head, txs]
    if a.tokens:
        tokens = Table(title="tokens (raw units)", title_justify="left")
        for col in ("token", "received", "sent"):
            tokens.add_column(col, overflow="fold")
        for k in a.tokens:
            tokens.add_row(k.token, f"{k.received:,}", f"{k.sent:,}")
        parts.append(tokens)
    return Group(*parts)


@show_app.command("block")
def show_block(
    block: Annotated[str, typer.Argument(help="Height or block hash.")],
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One block: header and transactions."""
    target = store_at(store)
    key: int | str = int(block) if block.isdigit() else block
    info = _find(target, chain, lambda c: target.block(c, key), "block", block)
    emit(info.to_json(), as_json=as_json, render=lambda _: _block_view(info))


@show_app.command("tx")
def show_tx(
    txid: Annotated[str, typer.Argument(help="Transaction id (hex).")],
    chain: ChainOption = None,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One transaction: inputs with the outputs they spend, outputs, fee."""
    target = store_at(store)
    info = _find(target, chain, lambda c: target.transaction(c, txid), "transaction", txid)
    view = _utxo_tx_view if isinstance(info, TransactionInfo) else _account_tx_view
    emit(info.to_json(), as_json=as_json, render=lambda _: view(info))


@show_app.command("address")
def show_address(
    address: Annotated[str, typer.Argument(help="Address text (base58, bech32, 0x...).")],
    chain: ChainOption = None,
    limit: LimitOption = 20,
    store: StoreOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One address: totals, balance and its transactions."""
    target = store_at(store)
    info = _find(
        target, chain, lambda c: target.address(c, address, limit=limit), "address", address
    )
    family = target.family(info.chain)
    emit(info.to_json(), as_json=as_json, render=lambda _: _address_view(info, family))
