"""The classroom world's exchange records and LE requests on both chains, and the streamed truth."""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from chainsleuth.simulate import simulate_world, truth
from chainsleuth.simulate.kyc import identities

DOCUMENT = {
    "PH": r"\d{4}-\d{4}-\d{4}-\d{4}", "BR": r"\d{3}\.\d{3}\.\d{3}-\d{2}", "IN": r"\d{12}",
    "VN": r"\d{12}", "NG": r"\d{11}", "US": r"[A-Z]{2}\d{7}", "GB": r"[A-Z]{2}\d{7}",
    "DE": r"[A-Z]{2}\d{7}",
}  # fmt: skip


def _csv(world: Path, name: str) -> list[dict[str, str]]:
    with (world / "exchange" / f"{name}.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _roles(world: Path, scenario: str, role: str, kind: str) -> set[str]:
    t = pq.read_table(world / "truth" / "roles.parquet").to_pydict()
    rows = zip(t["scenario"], t["role"], t["kind"], t["ref"], strict=True)
    return {ref for s, r, k, ref in rows if (s, r, k) == (scenario, role, kind)}


def test_every_account_has_a_deposit_address_on_each_chain(world: Path) -> None:
    rows = _csv(world, "deposit_addresses")
    by_account: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in rows:
        by_account[r["account_id"]].append((r["chain"], r["asset"]))
    assert set(by_account) == {r["account_id"] for r in _csv(world, "accounts")}
    assert all(v == [("btc", "BTC"), ("eth", "ETH")] for v in by_account.values())
    eth = pq.read_table(world / "truth" / "eth_addresses.parquet").to_pydict()
    entities = pq.read_table(world / "truth" / "entities.parquet").to_pydict()
    ours = entities["entity_id"][entities["name"].index("Kestrel Exchange")]
    owned = {
        a
        for a, e, role in zip(eth["address"], eth["entity_id"], eth["wallet_role"], strict=True)
        if e == ours and role == "deposit"
    }
    assert {r["address"] for r in rows if r["chain"] == "eth"} == owned


def test_eth_requests_name_our_deposit_addresses(world: Path) -> None:
    requests = json.loads((world / "requests" / "requests.json").read_text())
    assert [r["type"] for r in requests] == [
        "subpoena", "freeze", "emergency", "preservation", "freeze", "subpoena"
    ]  # fmt: skip
    freeze, subpoena = requests[4], requests[5]
    eth_deposits = {r["address"] for r in _csv(world, "deposit_addresses") if r["chain"] == "eth"}
    frozen = {s["value"] for s in freeze["subjects"]}
    assert {(s["chain"], s["asset"]) for s in freeze["subjects"]} == {("eth", "USDT")}
    assert frozen == _roles(world, "pig_butchering_usdt", "mule_deposit", "eth_address")
    assert len(frozen) == 3 and frozen <= eth_deposits
    (named,) = subpoena["subjects"]
    assert (named["chain"], named["asset"]) == ("eth", "ETH") and named["value"] in eth_deposits
    assert named["value"] in _roles(world, "bridge_hack", "cash_out", "eth_address")
    assert _roles(world, "pig_butchering_usdt", "le_request", "request") == {freeze["request_id"]}
    assert _roles(world, "bridge_hack", "le_request", "request") == {subpoena["request_id"]}
    assert requests[0]["subjects"][0]["chain"] == "btc"


def test_mule_rings_share_a_device(world: Path) -> None:
    ring = sorted(_roles(world, "mule_ring", "mule", "account"))
    controller = _roles(world, "mule_ring", "controller", "account")
    devices = {r["account_id"]: r["device_id"] for r in _csv(world, "logins")}
    assert len(ring) == 4 and len({devices[a] for a in [*ring, *controller]}) == 1
    assert len(set(devices.values())) == len(devices) - 4


def test_identities_have_their_countrys_shapes() -> None:
    who = {k: v.to_pylist() for k, v in identities(np.random.default_rng(3), 400).items()}
    assert set(who["country"]) == set(DOCUMENT)
    for country, doc, email, name in zip(
        who["country"], who["document_id"], who["email"], who["full_name"], strict=True
    ):
        assert re.fullmatch(DOCUMENT[country], doc), (country, doc)
        handle = name.lower().replace(" ", ".", 1).replace(" ", "")  # "Dela Cruz" -> delacruz
        assert re.fullmatch(re.escape(handle) + r"\d{1,3}@example\.com", email), email
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in who["date_of_birth"])


def test_truth_streamed_in_chunks_reads_the_same(
    world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(truth, "CHUNK_ROWS", 500)
    simulate_world(tmp_path, preset="classroom", seed=5)
    for name in ("transactions", "addresses"):
        chunked = pq.ParquetFile(tmp_path / "truth" / f"{name}.parquet")
        assert chunked.metadata.num_row_groups > 1
        assert chunked.read().equals(pq.read_table(world / "truth" / f"{name}.parquet")), name


def test_rapid_pass_through_moves_money_straight_on(world: Path) -> None:
    (through,) = _roles(world, "rapid_pass_through", "pass_through", "account")
    rows = [r for r in _csv(world, "ledger") if r["account_id"] == through]
    ins = [r for r in rows if r["kind"] == "transfer_in"]
    outs = [(r["time"], -int(r["amount_sat"])) for r in rows if r["kind"] == "transfer_out"]
    # the account may also play a part in another typology: pair each receipt with a
    # payment of 99 % of it out again within fifteen minutes
    passed = [
        r
        for r in ins
        if any(
            r["time"] < t <= _plus_minutes(r["time"], 15) and v == int(r["amount_sat"]) * 99 // 100
            for t, v in outs
        )
    ]
    assert len(passed) >= 3


def _plus_minutes(iso: str, minutes: int) -> str:
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")) + timedelta(minutes=minutes)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")
