"""The records of the exchange we work for, as CSV: customers (KYC), accounts, deposit
addresses (on both chains), the internal ledger, withdrawals and logins.

Deposits and withdrawals are the ones on the generated chain (with txid and vout); internal
transfers carry the exchange-side typologies (:mod:`typologies`); logins give each customer a
few devices and IPs, and mule rings share theirs. Every file is built as Arrow columns and
written by Arrow's CSV writer: a million customers cost no per-row Python.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from chainsleuth.simulate._columns import iso_times, join
from chainsleuth.simulate.chainrun import ChainLog
from chainsleuth.simulate.ethetl import hex_text
from chainsleuth.simulate.ethworld import EthWorld
from chainsleuth.simulate.kyc import identities
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.population import OUR_EXCHANGE
from chainsleuth.simulate.state import Sim
from chainsleuth.simulate.truth import address_texts
from chainsleuth.simulate.typologies import Typologies

RECORDS = "exchange"
I64 = npt.NDArray[np.int64]
_CSV = pacsv.WriteOptions(include_header=False, quoting_style="none")
_AGENTS = np.array(
    ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)", "okhttp/4.12 (Android 14)"], dtype=object
)


def _ids(prefix: str, entities: I64) -> pa.StringArray:
    """``ACC00000042``-style ids (see :func:`population.account_id`)."""
    return join(prefix, pc.utf8_lpad(pc.cast(pa.array(entities, pa.int64()), pa.string()), 8, "0"))


def _accounts(entities: I64) -> pa.StringArray:
    """Account ids of customer entities."""
    return _ids("ACC", entities)


def _txhex(raw: npt.NDArray[np.uint8]) -> pa.StringArray:
    """RPC (display-order) hex of internal-order txids."""
    return hex_text(np.ascontiguousarray(raw[:, ::-1]), prefix="")


def _customers(sim: Sim, eth: EthWorld, t0: int) -> dict[str, pa.Table]:
    rng, custs = sim.rng, sim.pop.customers[OUR_EXCHANGE]
    n = len(custs)
    opened = iso_times(t0 - rng.integers(86_400, 3 * 365 * 86_400, n))
    who = identities(rng, n)
    people = pa.table({
        "customer_id": _ids("CUS", custs), **who, "created_at": opened,
        "kyc_level": pa.array(rng.choice([1, 2, 2, 3], n)),
    })  # fmt: skip
    acc = _accounts(custs)
    table = pa.table({
        "account_id": acc, "customer_id": people["customer_id"], "asset": ["BTC"] * n,
        "opened_at": opened, "status": ["active"] * n,
    })  # fmt: skip
    btc = address_texts(sim.book, sim.pop.deposit[custs])
    both = pa.table({
        "account_id": pa.concat_arrays([acc, acc]),
        "chain": ["btc"] * n + ["eth"] * n,
        "asset": ["BTC"] * n + ["ETH"] * n,
        "address": pa.concat_arrays([btc, eth.texts(eth.deposit[custs])]),
        "created_at": pa.concat_arrays([opened, opened]),
    })  # fmt: skip
    interleave = np.arange(2 * n).reshape(2, n).T.ravel()  # each account's btc, then eth row
    return {"customers": people, "accounts": table, "deposit_addresses": both.take(interleave)}


def _columns(log: list[dict[str, npt.NDArray[np.generic]]], names: list[str]) -> list[I64]:
    """One column per name over the logged blocks (empty columns for an empty log)."""
    if not log:
        return [np.zeros((0, 32) if k == "txid" else 0, np.int64) for k in names]
    return [np.concatenate([part[k] for part in log]) for k in names]


def _entries(time: I64, who: I64, kind: str, amount: I64, **text: pa.Array) -> pa.Table:
    """Ledger rows of one kind; times and customers stay integers until sorted."""
    n = len(time)
    return pa.table({
        "time": pa.array(time, pa.int64()), "who": pa.array(who, pa.int64()),
        "kind": pa.array([kind] * n, pa.string()), "amount_sat": pa.array(amount, pa.int64()),
        "txid": text.get("txid", pa.nulls(n, pa.string())),
        "vout": text.get("vout", pa.nulls(n, pa.int64())),
        "reference": text.get("reference", pa.nulls(n, pa.string())),
    })  # fmt: skip


def _deposits(sim: Sim, log: ChainLog) -> pa.Table:
    txid, vout, addr, value, time = _columns(
        log.deposits, ["txid", "vout", "addr", "value", "time"]
    )
    custs = sim.pop.customers[OUR_EXCHANGE]
    deps = sim.pop.deposit[custs]
    order = np.argsort(deps)
    who = custs[order][np.searchsorted(deps[order], addr)]
    txhex = _txhex(txid.astype(np.uint8))
    return _entries(time, who, "deposit", value, txid=txhex, vout=pa.array(vout, pa.int64()))


def _withdrawals(sim: Sim, log: ChainLog) -> tuple[pa.Table, pa.Table]:
    """(ledger rows, withdrawals.csv) of our customers' withdrawals."""
    names = ["txid", "vout", "customer", "addr", "value", "time"]
    txid, vout, who, addr, value, time = _columns(log.withdrawals, names)
    txhex, n = _txhex(txid.astype(np.uint8)), len(vout)
    wid = join("WD-", pc.utf8_slice_codeunits(txhex, 0, 12), "-", pa.array(vout))
    table = pa.table({
        "withdrawal_id": wid, "account_id": _accounts(who), "asset": pa.array(["BTC"] * n),
        "address": address_texts(sim.book, addr), "amount_sat": pa.array(value, pa.int64()),
        "requested_at": iso_times(time - 900), "completed_at": iso_times(time),
        "txid": txhex, "vout": pa.array(vout, pa.int64()), "status": pa.array(["completed"] * n),
    })  # fmt: skip
    rows = _entries(time, who, "withdrawal", -value, txid=txhex,
                    vout=pa.array(vout, pa.int64()), reference=wid)  # fmt: skip
    return rows, table


def _transfers(transfers: list[tuple[int, int, int, int]]) -> pa.Table:
    """Two ledger rows per internal transfer (out of one account, into the other)."""
    t = np.array(transfers, np.int64).reshape(-1, 4)
    ref = join("TR-", pa.array(t[:, 0]), "-", pa.array(t[:, 1]), "-", pa.array(t[:, 2]))
    both = np.repeat(np.arange(len(t)), 2)
    side = np.tile([1, 2], len(t))
    amount = np.where(side == 1, -1, 1) * t[both, 3]
    rows = _entries(t[both, 0], t[both, side], "", amount, reference=ref.take(both))
    return rows.set_column(2, "kind", pa.array(np.where(side == 1, "transfer_out", "transfer_in")))


def _ledger(rows: list[pa.Table]) -> pa.Table:
    """All entries by time, then account (stable: same-time entries keep their order)."""
    table = pa.concat_tables(rows)
    time, who = table["time"].to_numpy(), table["who"].to_numpy()
    table = table.take(np.lexsort((who, time)))
    return table.set_column(0, "time", iso_times(table["time"].to_numpy())).set_column(
        1, "account_id", _accounts(table["who"].to_numpy())
    )


def _logins(sim: Sim, t0: int, t1: int, rings: list[list[int]]) -> pa.Table:
    """1-5 logins per customer; a mule ring logs in from its controller's device and IP."""
    rng, custs = sim.rng, sim.pop.customers[OUR_EXCHANGE]
    seed = custs.copy()
    for ring in rings:
        seed[np.isin(custs, ring)] = ring[0]
    per = rng.integers(1, 6, len(custs))
    who, s = np.repeat(custs, per), np.repeat(seed, per)
    time = rng.integers(t0, t1, len(who))
    order = np.lexsort((time, np.repeat(np.arange(len(custs)), per)))
    who, s, time = who[order], s[order], time[order]
    device = (s * 2654435761) % 2**32
    ip = join(pa.array(100 + s % 100), ".", pa.array((s >> 3) % 256), ".",
              pa.array((s >> 11) % 256), ".", pa.array(1 + s % 253))  # fmt: skip
    return pa.table({
        "account_id": _accounts(who), "time": iso_times(time), "ip": ip,
        "device_id": hex_text(device.astype(">u4").view(np.uint8).reshape(-1, 4), prefix="dev-"),
        "user_agent": pa.array(_AGENTS[s % 2], pa.string()),
    })  # fmt: skip


def write_exchange(out: Path, sim: Sim, log: ChainLog, plot: Plot, eth: EthWorld) -> list[str]:
    """Write the exchange's CSV records under ``out/exchange``; their relative paths."""
    (out / RECORDS).mkdir(exist_ok=True)
    t0, t1 = log.times[0], log.times[-1]
    files = _customers(sim, eth, t0)
    rows, files["withdrawals"] = _withdrawals(sim, log)
    typ = Typologies(sim.rng, sim.pop.customers[OUR_EXCHANGE], t0, t1, plot.truth)
    transfers = typ.all(sim.preset.victims // 2)
    files["ledger"] = _ledger([_deposits(sim, log), rows, _transfers(transfers)])
    files["logins"] = _logins(sim, t0, t1, typ.mules)
    for name, table in files.items():
        with (out / RECORDS / f"{name}.csv").open("wb") as f:
            f.write((",".join(table.column_names) + "\n").encode())  # Arrow would quote it
            pacsv.write_csv(table, f, _CSV)
    return [f"{RECORDS}/{name}.csv" for name in files]
