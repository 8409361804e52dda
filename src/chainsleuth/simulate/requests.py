"""Law-enforcement requests about the world, as they reach the exchange's desk (JSON).

A subpoena names a hack cash-out deposit address, a freeze request names the accounts
holding an investment scam's proceeds, an emergency disclosure request cites a ransomware
payment address, a preservation request follows a darknet market vendor, and a sanctions
list names the sanctioned exchange's addresses. On the account chain, a freeze request names
the deposit addresses where the stablecoin scam's mules received the proceeds, and a
subpoena names a deposit address where the bridge hacker cashed out. An address subject
says its chain (``btc`` or ``eth``) and asset. Which scenario each request is about is
ground truth (``truth/roles.parquet``), not part of the request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from chainsleuth.simulate._columns import iso_times
from chainsleuth.simulate.chainrun import ChainLog
from chainsleuth.simulate.plot import Truth
from chainsleuth.simulate.population import EXCHANGE_NAMES, OUR_EXCHANGE, account_id
from chainsleuth.simulate.state import Sim
from chainsleuth.simulate.truth import address_texts

_AGENCIES = (
    ("PNP Anti-Cybercrime Group", "PH", "Police Major Ramon Dizon", "acg.cases@example.ph"),
    ("NBI Cybercrime Division", "PH", "Agent Liza Manalo", "cybercrime@example.ph"),
    (
        "FBI Internet Crime Complaint Center",
        "US",
        "Special Agent Dana Whitfield",
        "ic3.requests@example.gov",
    ),
    ("Bundeskriminalamt SO4", "DE", "KHK Jonas Wagner", "so4@example.de"),
)
_DAY = 86_400


@dataclass(frozen=True)
class _Ask:
    """One request to draft: its type, sender, timing, subjects, text and scenario."""

    kind: str
    agency: int
    delay: int  # seconds after the chain's last block
    due_hours: int
    subjects: list[dict[str, str]]
    text: str
    scenario: str


def _iso(t: int) -> str:
    return str(iso_times([t])[0].as_py())


def _request(n: int, ask: _Ask, end: int) -> dict[str, Any]:
    name, country, officer, email = _AGENCIES[ask.agency]
    received = end + ask.delay
    return {
        "request_id": f"LER-2024-{n:05d}",
        "type": ask.kind,
        "agency": name,
        "country": country,
        "officer": {"name": officer, "email": email},
        "case_number": f"{country}-CC-2024-{1000 + 37 * n}",
        "received_at": _iso(received),
        "due_at": _iso(received + ask.due_hours * 3600),
        "addressed_to": EXCHANGE_NAMES[OUR_EXCHANGE],
        "subjects": ask.subjects,
        "narrative": ask.text,
    }


def _address(sim: Sim, addr: int) -> dict[str, str]:
    text = address_texts(sim.book, np.array([addr], np.int64))[0].as_py()
    return {"kind": "address", "chain": "btc", "asset": "BTC", "value": text}


def _eth_address(text: str, asset: str) -> dict[str, str]:
    return {"kind": "address", "chain": "eth", "asset": asset, "value": text}


def _eth_asks(by: dict[str, dict[str, Any]]) -> list[_Ask]:
    scam, hack = by["pig_butchering_usdt"], by["bridge_hack"]
    return [
        _Ask("freeze", 1, 5400, 24, [_eth_address(a, "USDT") for a in scam["mule_deposits"]],
             "Freeze the funds at these USDT deposit addresses: they received the proceeds of "
             "a stablecoin investment scam ('liquidity mining') gathered from many victims. "
             f"Amount involved about {scam['amount_units'] / 1e6:,.2f} USDT.",
             "pig_butchering_usdt"),
        _Ask("subpoena", 2, 3 * _DAY, 14 * 24, [_eth_address(hack["cash_out_deposits"][0], "ETH")],
             "Produce subscriber, KYC and transaction records for the account behind this "
             "Ethereum deposit address, which received ether stolen from a cross-chain bridge "
             "after many hops through fresh addresses.", "bridge_hack"),
    ]  # fmt: skip


def _asks(sim: Sim, by: dict[str, dict[str, Any]]) -> list[_Ask]:
    scam = by["pig_butchering"]
    mules = [{"kind": "account", "value": account_id(a)} for a in scam["mule_accounts"]]
    return [
        _Ask("subpoena", 2, _DAY, 14 * 24,
             [_address(sim, by["exchange_hack"]["cash_out_deposits"][0])],
             "Produce subscriber, KYC and transaction records for the account behind this "
             "deposit address, which received proceeds of an exchange hot-wallet theft.",
             "exchange_hack"),
        _Ask("freeze", 0, 3600, 24, mules,
             "Freeze the listed accounts: they received the proceeds of an investment scam "
             "(pig butchering) with many victims in the Philippines. Amount involved about "
             f"{scam['amount'] / 1e8:.4f} BTC.", "pig_butchering"),
        _Ask("emergency", 3, 7200, 2, [_address(sim, by["ransomware"]["ransom_addresses"][0])],
             "Emergency disclosure: a hospital's systems are encrypted; identify who controls "
             "the ransom payment address and where funds moved, to prevent imminent harm.",
             "ransomware"),
        _Ask("preservation", 1, 2 * _DAY, 72,
             [_address(sim, by["darknet_market"]["vendor_deposit"])],
             "Preserve all records of the account using this deposit address (darknet market "
             "vendor).", "darknet_market"),
    ]  # fmt: skip


def write_requests(
    out: Path, sim: Sim, facts: list[dict[str, Any]], log: ChainLog, truth: Truth
) -> list[str]:
    """Write ``requests/requests.json`` and ``intel/sanctions.json``; their relative paths.

    ``facts`` are both chains' scenario facts (what each request cites)."""
    by = {f["scenario"]: f for f in facts}
    asks = _asks(sim, by) + _eth_asks(by)
    reqs = [_request(n, ask, log.times[-1]) for n, ask in enumerate(asks, start=1)]
    for r, ask in zip(reqs, asks, strict=True):
        truth.add(ask.scenario, "le_request", "request", r["request_id"])
    (out / "requests").mkdir(exist_ok=True)
    (out / "requests" / "requests.json").write_text(
        json.dumps(reqs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    listed = address_texts(sim.book, np.array(by["sanctions"]["listed_addresses"])).to_pylist()
    sanctions = [
        {"name": "Volga Crypto Exchange", "program": "CYBER2", "asset": "XBT", "address": a}
        for a in listed
    ]
    (out / "intel").mkdir(exist_ok=True)
    (out / "intel" / "sanctions.json").write_text(json.dumps(sanctions, indent=2) + "\n")
    return ["requests/requests.json", "intel/sanctions.json"]
