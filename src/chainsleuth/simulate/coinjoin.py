"""CoinJoin rounds in the shapes of Whirlpool, Wasabi 1.x and JoinMarket.

- Whirlpool: exactly 5 inputs and 5 outputs of the pool denomination (0.001, 0.01, 0.05,
  0.5 BTC); fees were paid in the earlier "tx0", so inputs carry a little more than the
  denomination and there is no change (Samourai's Whirlpool documentation).
- Wasabi 1.x: tens of inputs, equal outputs of about 0.1 BTC, one change output per
  participant and a coordinator fee output (Wasabi documentation, "ZeroLink").
- JoinMarket: a taker and a few makers, one equal output each plus change (JoinMarket
  documentation); maker fees are left out here, every participant shares the mining fee.
"""

from __future__ import annotations

from chainsleuth.simulate.plot import DUST, Coin, Plot

WHIRLPOOL_DENOMINATIONS = (100_000, 1_000_000, 5_000_000, 50_000_000)


def _round(
    plot: Plot,
    height: int,
    parts: list[list[Coin]],
    denom: int,
    *,
    extra: list[tuple[int, int]],
    tag: str,
    change: bool = True,
) -> list[Coin]:
    """Each participant gets ``denom`` at a fresh address, and change if its coins leave any."""
    outputs: list[tuple[int, int]] = list(extra)
    owners = []
    fee_each = plot.fee([c for p in parts for c in p], 2 * len(parts) + len(extra)) // len(parts)
    for coins in parts:
        owner = int(plot.sim.book.addr_owner.view[coins[0].addr])
        owners.append(owner)
        outputs.append((plot.address(owner), denom))
        left = (
            sum(c.value for c in coins) - denom - fee_each - sum(v for _, v in extra) // len(parts)
        )
        if change and left >= DUST:
            outputs.append((plot.address(owner), left))
    order = plot.rng().permutation(len(outputs))
    coins_in = [c for p in parts for c in p]
    made = plot.raw(height, coins_in, [outputs[i] for i in order], tag)
    return [m for m in made if m.value == denom]


def whirlpool(plot: Plot, height: int, parts: list[Coin], denom: int, tag: str) -> list[Coin]:
    """A 5x5 Whirlpool mix of ``parts`` (each already a premix coin a little over ``denom``)."""
    if len(parts) != 5:
        raise ValueError("a Whirlpool round has exactly 5 inputs")
    return _round(plot, height, [[c] for c in parts], denom, extra=[], tag=tag, change=False)


def wasabi(
    plot: Plot, height: int, parts: list[list[Coin]], coordinator: int, tag: str
) -> list[Coin]:
    """A Wasabi 1.x round: 0.1 BTC equal outputs, change, and the coordinator's fee."""
    fee = 3_000 * len(parts)  # 0.003 % of 0.1 BTC per participant, as the coordinator charged
    return _round(
        plot, height, parts, 10_000_000, extra=[(plot.address(coordinator), fee)], tag=tag
    )


def joinmarket(
    plot: Plot, height: int, parts: list[list[Coin]], denom: int, tag: str
) -> list[Coin]:
    """A JoinMarket round: the first participant is the taker, the rest makers."""
    return _round(plot, height, parts, denom, extra=[], tag=tag)
