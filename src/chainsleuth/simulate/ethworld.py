"""The account chain of a world: population, scenarios, blocks, exports and ground truth.

Written under ``eth/`` as ethereum-etl exports (``blocks.csv``, ``transactions.csv``,
``token_transfers.csv``, ``traces.csv`` with the genesis ether, ``tokens.csv``); ground
truth in ``truth/eth_addresses.parquet`` (every address: owner entity, wallet role,
genesis balances) and ``truth/eth_transactions.parquet`` (hash, block, tag); scenario
roles join the world's ``truth/roles.parquet`` with kind ``eth_address``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from chainsleuth.simulate import ethscenarios
from chainsleuth.simulate.book import EntityKind, Role
from chainsleuth.simulate.ethchain import EthRun
from chainsleuth.simulate.ethetl import TOKEN_COLUMNS, EthWriter, hex_text
from chainsleuth.simulate.ethscenarios import EthPlot
from chainsleuth.simulate.ethstate import EthState
from chainsleuth.simulate.ethtraffic import ETH_TAGS, populate_eth
from chainsleuth.simulate.plot import Plot
from chainsleuth.simulate.state import Sim

TOKEN_SYMBOL, TOKEN_NAME, TOKEN_DECIMALS = "USDT", "Tether-like USD (simulated)", 6
_ROLE_NAMES = [r.name.lower() for r in Role]


@dataclass(frozen=True)
class EthWorld:
    """What the rest of the world needs from the account chain."""

    manifest: dict[str, Any]
    files: list[str]
    state: EthState
    deposit: npt.NDArray[np.int64]  # per entity: its deposit address id, -1 for none
    facts: list[dict[str, Any]]

    def texts(self, addrs: npt.NDArray[np.int64]) -> pa.StringArray:
        """``0x`` text of address ids."""
        return hex_text(self.state.raw(addrs))


def simulate_eth(out: Path, sim: Sim, plot: Plot, start_time: int) -> EthWorld:
    """Generate the account chain into ``out/eth`` and its ground truth."""
    p = sim.preset
    (out / "eth").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    state = EthState(sim.book)
    issuer = sim.book.add_entity(EntityKind.TOKEN_ISSUER, "Tether-like issuer", 2, scripted=False)
    pop = populate_eth(sim, state, issuer)
    tags = list(ETH_TAGS)
    ep = EthPlot(plot, state, pop, p.eth_blocks, tags)
    facts = [ethscenarios.usdt_scam(ep, max(3, p.victims // 2)), ethscenarios.hop_hack(ep)]
    writer = EthWriter(out / "eth", out / "truth", state, pop.token, tags)
    run = EthRun(sim, state, pop, writer, start_time)
    try:
        run.run(p.eth_blocks, ep.planned(), p.eth_txs_per_block)
    finally:
        writer.close()
    files = [*writer.paths, _tokens(out / "eth", state, pop.token), _truth(out / "truth", state)]
    entry = {
        "format": "ethereum-etl",
        "blocks": run.log.blocks,
        "txs": run.log.txs,
        "token_transfers": run.log.token_transfers,
        "addresses": int(state.seen.view.sum()),
        "token": "0x" + bytes(state.raw(np.array([pop.token]))[0]).hex(),
        "scenarios": [f["scenario"] for f in facts],
    }
    files.append(writer.truth_path)
    return EthWorld(entry, [str(f.relative_to(out)) for f in files], state, pop.deposit, facts)


def _tokens(folder: Path, state: EthState, token: int) -> Path:
    supply = int(state.genesis_usdt.view.sum())
    address = "0x" + bytes(state.raw(np.array([token]))[0]).hex()
    path = folder / "tokens.csv"
    row = f"{address},{TOKEN_SYMBOL},{TOKEN_NAME},{TOKEN_DECIMALS},{supply},"
    path.write_text(f"{TOKEN_COLUMNS}\n{row}\n")
    return path


def _truth(folder: Path, state: EthState) -> Path:
    ids = np.arange(len(state), dtype=np.int64)
    roles = pa.DictionaryArray.from_arrays(
        pa.array(state.role.view.astype(np.int32)), pa.array(_ROLE_NAMES)
    )
    table = pa.table({
        "address": hex_text(state.raw(ids)),
        "entity_id": pa.array(state.owner.view, pa.int64()),
        "wallet_role": roles.cast(pa.string()),
        "genesis_gwei": pa.array(state.genesis_gwei.view, pa.int64()),
        "genesis_token_units": pa.array(state.genesis_usdt.view, pa.int64()),
        "on_chain": pa.array(state.seen.view, pa.bool_()),
    })  # fmt: skip
    path = folder / "eth_addresses.parquet"
    pq.write_table(table, path, compression="zstd")
    return path
