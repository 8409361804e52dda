"""The records of the exchange we work for, as CSV: customers (KYC), accounts, deposit
addresses, the internal ledger, withdrawals and logins.

Deposits and withdrawals are the ones on the generated chain (with txid and vout); internal
transfers carry the exchange-side typologies (:mod:`typologies`); logins give each customer a
few devices and IPs, and mule rings share theirs.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from chainsleuth.simulate.chainrun import ChainLog
from chainsleuth.simulate.kyc import identity
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.population import OUR_EXCHANGE, account_id, customer_id
from chainsleuth.simulate.state import Sim
from chainsleuth.simulate.truth import address_texts
from chainsleuth.simulate.typologies import Typologies

RECORDS = "exchange"


def iso(t: int) -> str:
    return datetime.fromtimestamp(int(t), UTC).isoformat().replace("+00:00", "Z")


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def _txhex(raw: np.ndarray) -> str:
    return bytes(raw[::-1]).hex()


def _customers(
    sim: Sim, t0: int
) -> tuple[list[list[object]], list[list[object]], list[list[object]]]:
    rng, custs = sim.rng, sim.pop.customers[OUR_EXCHANGE]
    texts = address_texts(sim.book, sim.pop.deposit[custs])
    people: list[list[object]] = []
    accounts: list[list[object]] = []
    deposits: list[list[object]] = []
    for c, text in zip(custs.tolist(), texts, strict=True):
        opened = iso(t0 - int(rng.integers(86_400, 3 * 365 * 86_400)))
        who = identity(rng)
        people.append(
            [
                customer_id(c),
                who["full_name"],
                who["date_of_birth"],
                who["country"],
                who["document_type"],
                who["document_id"],
                who["email"],
                who["phone"],
                opened,
                int(rng.choice([1, 2, 2, 3])),
            ]
        )
        accounts.append([account_id(c), customer_id(c), "BTC", opened, "active"])
        deposits.append([account_id(c), "BTC", text, opened])
    return people, accounts, deposits


def _chain_entries(sim: Sim, log: ChainLog) -> tuple[list[list[object]], list[list[object]]]:
    owner_of = {int(sim.pop.deposit[c]): int(c) for c in sim.pop.customers[OUR_EXCHANGE]}
    ledger, withdrawals = [], []
    for d in log.deposits:
        for txid, vout, addr, value, t in zip(
            d["txid"], d["vout"], d["addr"], d["value"], d["time"], strict=True
        ):
            ledger.append(
                [
                    iso(t),
                    account_id(owner_of[int(addr)]),
                    "deposit",
                    int(value),
                    _txhex(txid),
                    int(vout),
                    "",
                ]
            )
    for w in log.withdrawals:
        texts = address_texts(sim.book, w["addr"])
        for txid, vout, c, value, t, text in zip(
            w["txid"], w["vout"], w["customer"], w["value"], w["time"], texts, strict=True
        ):
            wid = f"WD-{_txhex(txid)[:12]}-{int(vout)}"
            ledger.append(
                [
                    iso(t),
                    account_id(int(c)),
                    "withdrawal",
                    -int(value),
                    _txhex(txid),
                    int(vout),
                    wid,
                ]
            )
            withdrawals.append(
                [
                    wid,
                    account_id(int(c)),
                    "BTC",
                    text,
                    int(value),
                    iso(t - 900),
                    iso(t),
                    _txhex(txid),
                    int(vout),
                    "completed",
                ]
            )
    return ledger, withdrawals


def _logins(sim: Sim, t0: int, t1: int, rings: list[list[int]]) -> list[list[object]]:
    rng, rows = sim.rng, list[list[object]]()
    shared = {m: ring[0] for ring in rings for m in ring}
    for c in sim.pop.customers[OUR_EXCHANGE].tolist():
        seed = shared.get(c, c)  # a mule ring logs in from its controller's device and IP
        device = f"dev-{(seed * 2654435761) % 2**32:08x}"
        ip = f"{100 + seed % 100}.{(seed >> 3) % 256}.{(seed >> 11) % 256}.{1 + seed % 253}"
        for t in np.sort(rng.integers(t0, t1, int(rng.integers(1, 6)))):
            rows.append(
                [
                    account_id(c),
                    iso(t),
                    ip,
                    device,
                    "okhttp/4.12 (Android 14)"
                    if seed % 2
                    else "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4)",
                ]
            )
    return rows


def write_exchange(out: Path, sim: Sim, log: ChainLog, plot: Plot) -> list[str]:
    """Write the exchange's CSV records under ``out/exchange``; their relative paths."""
    (out / RECORDS).mkdir(exist_ok=True)
    t0, t1 = log.times[0], log.times[-1]
    people, accounts, deposits = _customers(sim, t0)
    ledger, withdrawals = _chain_entries(sim, log)
    typ = Typologies(sim.rng, sim.pop.customers[OUR_EXCHANGE], t0, t1, plot.truth)
    for t, a, b, v in typ.all(sim.preset.victims // 2):
        ref = f"TR-{t}-{a}-{b}"
        ledger += [
            [iso(t), account_id(a), "transfer_out", -v, "", "", ref],
            [iso(t), account_id(b), "transfer_in", v, "", "", ref],
        ]
    ledger.sort(key=lambda r: (str(r[0]), str(r[1])))
    files = {
        "customers": (
            [
                "customer_id",
                "full_name",
                "date_of_birth",
                "country",
                "document_type",
                "document_id",
                "email",
                "phone",
                "created_at",
                "kyc_level",
            ],
            people,
        ),
        "accounts": (["account_id", "customer_id", "asset", "opened_at", "status"], accounts),
        "deposit_addresses": (["account_id", "asset", "address", "created_at"], deposits),
        "ledger": (
            ["time", "account_id", "kind", "amount_sat", "txid", "vout", "reference"],
            ledger,
        ),
        "withdrawals": (
            [
                "withdrawal_id",
                "account_id",
                "asset",
                "address",
                "amount_sat",
                "requested_at",
                "completed_at",
                "txid",
                "vout",
                "status",
            ],
            withdrawals,
        ),
        "logins": (
            ["account_id", "time", "ip", "device_id", "user_agent"],
            _logins(sim, t0, t1, typ.mules),
        ),
    }
    for name, (header, rows) in files.items():
        _write(out / RECORDS / f"{name}.csv", header, rows)
    return [f"{RECORDS}/{name}.csv" for name in files]
