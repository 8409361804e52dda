"""The embedded GraphSense taxonomy equals the real files; DW-VA merges in."""

from __future__ import annotations

from tests.intel.conftest import TAXONOMIES

from chainsleuth.intel import default_taxonomy, load_taxonomy


def test_real_graphsense_files() -> None:
    tax = load_taxonomy(TAXONOMIES / "graphsense")
    assert len(tax.concepts) == 93
    assert tax.concepts == default_taxonomy().concepts
    assert len(tax.confidence) == 14
    assert tax.confidence["ledger_immanent"] == 100
    assert tax.confidence["authority_data"] == 60
    assert tax.confidence["unknown"] == 5  # written " 5" in the file
    assert tax.tag_types == {"actor", "event", "attribute", "mention"}
    assert len(tax.countries) == 249
    assert tax.concepts["exchange"].broader == "service"
    assert tax.ancestors("ransomware")[0] == "extortion"
    assert tax.is_abuse("black_list") and tax.is_abuse("ransomware")
    assert not tax.is_abuse("exchange")


def test_dwva_merged() -> None:
    tax = load_taxonomy(TAXONOMIES / "graphsense", TAXONOMIES / "dw-va")
    assert {"Entity Taxonomy", "Abuse Taxonomy", "Concepts Taxonomy"} <= set(tax.schemes)
    assert tax.schemes["Entity Taxonomy"] == "0.3"
    assert "dapp_–_decentralized_apps" in tax.concepts and "BTC" in tax.concepts
    # ids both define keep GraphSense's definition
    assert tax.concepts["exchange"].scheme == "Concepts Taxonomy"
    assert len(tax.concepts) == 93 + 99 + 6 - 7 - 6
