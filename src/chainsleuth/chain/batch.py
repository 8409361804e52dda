"""The unit readers yield and the store ingests: one block range, all its tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

from chainsleuth.chain.schema import ACCOUNT_TABLES, UTXO_TABLES, empty_table
from chainsleuth.errors import Invalid

Family = Literal["utxo", "account"]

SCHEMAS: dict[Family, dict[str, pa.Schema]] = {"utxo": UTXO_TABLES, "account": ACCOUNT_TABLES}


@dataclass(frozen=True)
class ChainBatch:
    """A block range of one chain in canonical form.

    ``family`` says which table set applies (:data:`UTXO_TABLES` or :data:`ACCOUNT_TABLES`);
    tables a source does not carry are empty. ``source`` names the file or URL for errors.
    """

    family: Family
    tables: Mapping[str, pa.Table]
    source: str = ""

    def __post_init__(self) -> None:
        schemas = SCHEMAS[self.family]
        unknown = set(self.tables) - set(schemas)
        if unknown:
            raise Invalid(f"{self.source}: unknown {self.family} tables {sorted(unknown)}")
        full = {}
        for name, schema in schemas.items():
            table = self.tables.get(name)
            if table is None:
                table = empty_table(schema)
            elif not table.schema.equals(schema):
                raise Invalid(
                    f"{self.source}: table {name!r} does not have the canonical schema:\n"
                    f"{table.schema}\nexpected\n{schema}"
                )
            full[name] = table
        object.__setattr__(self, "tables", full)

    def __getitem__(self, name: str) -> pa.Table:
        return self.tables[name]

    @property
    def block_count(self) -> int:
        return int(self.tables["blocks"].num_rows)


def empty_batch(family: Family, source: str = "") -> ChainBatch:
    """A batch with every table empty."""
    return ChainBatch(family, {}, source)
