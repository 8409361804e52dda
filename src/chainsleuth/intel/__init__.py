"""Attribution: GraphSense TagPacks and ActorPacks, the concept taxonomy, sanctions lists
with versions, screening, and tag propagation to clusters.

See ``docs/attribution.md``. Data lives in an intel store folder (Parquet + manifest),
by default ``<chain store>/intel/``.
Exposure to categories and risk scores under a policy: ``docs/risk.md``.
"""

from chainsleuth.intel.actors import ACTOR_SCHEMA, ActorPack, read_actorpack
from chainsleuth.intel.batch import read_batch, write_result
from chainsleuth.intel.categories import (
    SANCTIONED,
    CategoryMap,
    category_map,
    sanctioned_in_store,
)
from chainsleuth.intel.export import export_tagpack, tagpack_document
from chainsleuth.intel.exposure import (
    CategoryExposure,
    Contributor,
    Exposure,
    ExposureReport,
    exposure,
)
from chainsleuth.intel.keys import NAMESPACES, address_keys
from chainsleuth.intel.propagate import ClusterTags, propagate_tags
from chainsleuth.intel.risk import Contribution, RiskScore, assess_risk, score_risk
from chainsleuth.intel.risk_policy import (
    LEVELS,
    CategoryRule,
    RiskPolicy,
    default_policy,
    load_policy,
    parse_policy,
)
from chainsleuth.intel.sanctions import (
    SANCTION_SCHEMA,
    ListDiff,
    SanctionsList,
    diff_lists,
    read_sanctions,
)
from chainsleuth.intel.screen import STATUSES, ScreenResult, screen_addresses
from chainsleuth.intel.screen_tx import TxScreen, screen_transaction
from chainsleuth.intel.store import IntelStore, ListVersion, open_intel
from chainsleuth.intel.tagpacks import TAG_SCHEMA, TagPack, find_packs, read_tagpack, tag_table
from chainsleuth.intel.taxonomy import Concept, Taxonomy, default_taxonomy, load_taxonomy

__all__ = [
    "ACTOR_SCHEMA",
    "LEVELS",
    "NAMESPACES",
    "SANCTIONED",
    "SANCTION_SCHEMA",
    "STATUSES",
    "TAG_SCHEMA",
    "ActorPack",
    "CategoryExposure",
    "CategoryMap",
    "CategoryRule",
    "ClusterTags",
    "Concept",
    "Contribution",
    "Contributor",
    "Exposure",
    "ExposureReport",
    "IntelStore",
    "ListDiff",
    "ListVersion",
    "RiskPolicy",
    "RiskScore",
    "SanctionsList",
    "ScreenResult",
    "TagPack",
    "Taxonomy",
    "TxScreen",
    "address_keys",
    "assess_risk",
    "category_map",
    "default_policy",
    "default_taxonomy",
    "diff_lists",
    "export_tagpack",
    "exposure",
    "find_packs",
    "load_policy",
    "load_taxonomy",
    "open_intel",
    "parse_policy",
    "propagate_tags",
    "read_actorpack",
    "read_batch",
    "read_sanctions",
    "read_tagpack",
    "sanctioned_in_store",
    "score_risk",
    "screen_addresses",
    "screen_transaction",
    "tag_table",
    "tagpack_document",
    "write_result",
]
