"""What ingest reports and what the store says about its chains (plain frozen dataclasses)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        return str(value)  # exact integers beyond what a JSON double holds
    return value


class JsonModel:
    """Mixin: ``to_json()`` gives plain JSON data; integers above 2**53 become strings."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _jsonable(dataclasses.asdict(self))  # type: ignore[call-overload]
        return data


@dataclass(frozen=True)
class IngestProgress(JsonModel):
    blocks_done: int
    blocks_total: int | None
    txs_done: int
    bytes_done: int


@dataclass(frozen=True)
class Reorg(JsonModel):
    """A fork: stored blocks from ``height`` up were replaced."""

    height: int
    dropped_blocks: int
    replayed_blocks: int


@dataclass(frozen=True)
class IngestReport(JsonModel):
    chain: str
    blocks_added: int
    blocks_skipped: int
    txs_added: int
    inputs_added: int
    outputs_added: int
    addresses_added: int
    inputs_resolved_late: int
    reorgs: list[Reorg]
    generation: int


@dataclass(frozen=True)
class ChainInfo(JsonModel):
    name: str
    family: str
    network: str
    min_height: int | None
    max_height: int | None
    blocks: int
    txs: int
    addresses: int


@dataclass(frozen=True)
class StoreStats(JsonModel):
    chain: str
    family: str
    blocks: int
    min_height: int | None
    max_height: int | None
    gaps: list[tuple[int, int]]  # missing height ranges, inclusive
    txs: int
    inputs: int
    outputs: int
    addresses: int
    unresolved_inputs: int
    total_fees: int
    bytes_on_disk: int
