"""Attribution: GraphSense TagPacks and ActorPacks, the concept taxonomy, sanctions lists
with versions, screening, and tag propagation to clusters.

See ``docs/attribution.md``. Data lives in an intel store folder (Parquet + manifest),
by default ``<chain store>/intel/``.
"""

from chainsleuth.intel.actors import ACTOR_SCHEMA, ActorPack, read_actorpack
from chainsleuth.intel.batch import read_batch, write_result
from chainsleuth.intel.export import export_tagpack, tagpack_document
from chainsleuth.intel.keys import NAMESPACES, address_keys
from chainsleuth.intel.propagate import ClusterTags, propagate_tags
from chainsleuth.intel.sanctions import (
    SANCTION_SCHEMA,
    ListDiff,
    SanctionsList,
    diff_lists,
    read_sanctions,
)
from chainsleuth.intel.screen import STATUSES, ScreenResult, screen_addresses
from chainsleuth.intel.store import IntelStore, ListVersion, open_intel
from chainsleuth.intel.tagpacks import TAG_SCHEMA, TagPack, find_packs, read_tagpack, tag_table
from chainsleuth.intel.taxonomy import Concept, Taxonomy, default_taxonomy, load_taxonomy

__all__ = [
    "ACTOR_SCHEMA",
    "NAMESPACES",
    "SANCTION_SCHEMA",
    "STATUSES",
    "TAG_SCHEMA",
    "ActorPack",
    "ClusterTags",
    "Concept",
    "IntelStore",
    "ListDiff",
    "ListVersion",
    "SanctionsList",
    "ScreenResult",
    "TagPack",
    "Taxonomy",
    "address_keys",
    "default_taxonomy",
    "diff_lists",
    "export_tagpack",
    "find_packs",
    "load_taxonomy",
    "open_intel",
    "propagate_tags",
    "read_actorpack",
    "read_batch",
    "read_sanctions",
    "read_tagpack",
    "screen_addresses",
    "tag_table",
    "tagpack_document",
    "write_result",
]
