"""World sizes: a classroom world in seconds, a demo world, a benchmark world of >=10M txs."""

from __future__ import annotations

from dataclasses import dataclass

from chainsleuth.errors import Invalid


@dataclass(frozen=True)
class Preset:
    """How big a world is and how its traffic is paced."""

    name: str
    users: int
    merchants: int
    exchanges: int  # the first is the exchange we work for
    pools: int
    blocks: int
    txs_per_block: int  # background payments per block (services and scenarios come on top)
    epoch_blocks: int  # an owner's wallet spends at most once per epoch
    victims: int  # scam victims; the other scenarios scale with it
    address_text: bool  # ground truth carries address text (slow for huge worlds)
    eth_blocks: int  # account-chain blocks after genesis
    eth_txs_per_block: int  # background payments per account-chain block


PRESETS: dict[str, Preset] = {
    "classroom": Preset("classroom", 400, 12, 4, 3, 72, 24, 3, 12, True, 60, 20),
    "demo": Preset("demo", 6_000, 60, 6, 4, 360, 160, 4, 60, True, 600, 120),
    "bench": Preset("bench", 1_500_000, 3_000, 12, 8, 5_230, 2_000, 25, 400, False, 2_000, 500),
}


def preset(name: str) -> Preset:
    """The named preset; raises :class:`Invalid` naming the known ones."""
    if name not in PRESETS:
        raise Invalid(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    return PRESETS[name]
