"""Crimes injected into the world, each with its ground truth and the facts LE requests cite.

Every scenario plans its transactions on a :class:`Plot`; actors are scripted entities
(their coins are spent by the scenario only); cash-outs land on exchange deposit
addresses, where background sweeps pick them up as for any customer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainsleuth.simulate import coinjoin
from chainsleuth.simulate._txwrite import P2SH_P2WPKH, P2TR, P2WPKH
from chainsleuth.simulate.book import EntityKind
from chainsleuth.simulate.plot import Coin, Plot
from chainsleuth.simulate.population import EXCHANGE_NAMES, OUR_EXCHANGE, account_id

BTC = 100_000_000
Facts = dict[str, Any]


def _people(plot: Plot, n: int) -> list[int]:
    """``n`` scripted users (their coins move only as the scenario says)."""
    wallets = plot.rng().choice(np.array([P2WPKH, P2SH_P2WPKH], np.uint8), size=n)
    ids = plot.sim.book.add_entities(
        EntityKind.USER, wallets, np.zeros(n, np.float32), scripted=True
    )
    return [int(i) for i in ids]


def _victims(plot: Plot, n: int, scenario: str) -> list[int]:
    return [plot.actor(v, scenario, "victim") for v in _people(plot, n)]


def _customer(plot: Plot, exchange: int = OUR_EXCHANGE) -> tuple[int, int]:
    """(customer entity, its deposit address) of a random customer of ``exchange``."""
    customers = plot.sim.pop.customers[exchange]
    c = int(customers[plot.rng().integers(0, len(customers))])
    return c, int(plot.sim.pop.deposit[c])


def _cash_out(plot: Plot, scenario: str, role: str, exchange: int = OUR_EXCHANGE) -> int:
    c, dep = _customer(plot, exchange)
    plot.truth.add(scenario, role, "address", dep)
    if exchange == OUR_EXCHANGE:
        plot.truth.add(scenario, role, "account", account_id(c))
    return dep


def ransomware(plot: Plot, victims: int) -> Facts:
    """Victims pay ransoms; the operator gathers them and peels the pile off to exchanges."""
    sc, book, rng = "ransomware", plot.sim.book, plot.rng()
    op = plot.actor(
        book.add_entity(EntityKind.RANSOMWARE, "LockBitten", P2WPKH, scripted=True), sc, "operator"
    )
    paid, ransom_addrs = [], []
    for i, v in enumerate(_victims(plot, victims, sc)):
        ransom = int(rng.choice([50, 75, 100, 150, 250])) * BTC // 100
        coin = plot.endow(v, ransom + 300_000)
        ransom_addr = plot.address(op)
        plot.truth.add(sc, "ransom_address", "address", ransom_addr)
        ransom_addrs.append(ransom_addr)
        paid += plot.send(
            plot.at(0.05 + 0.2 * i / victims),
            [coin],
            [(ransom_addr, ransom)],
            f"{sc}/ransom_payment",
        )[0]
    pile = plot.sweep(plot.at(0.3), paid, plot.address(op), f"{sc}/consolidation")
    height, hops = plot.at(0.3), []
    for _ in range(int(rng.integers(8, 14))):
        height += 1
        peel = int(pile.value * rng.uniform(0.04, 0.12))
        exchange = (
            OUR_EXCHANGE
            if rng.random() < 0.5
            else int(rng.integers(1, len(plot.sim.pop.exchanges)))
        )
        _, nxt = plot.send(
            height, [pile], [(_cash_out(plot, sc, "cash_out", exchange), peel)], f"{sc}/peel_hop"
        )
        if nxt is None:
            break
        hops.append(nxt.addr)
        pile = nxt
    return {
        "scenario": sc,
        "ransom_addresses": ransom_addrs,
        "peel_addresses": hops,
    }


def pig_butchering(plot: Plot, victims: int) -> Facts:
    """An investment scam: victims 'invest' in instalments; proceeds go to mule accounts with us."""
    sc, book, rng = "pig_butchering", plot.sim.book, plot.rng()
    scam = plot.actor(
        book.add_entity(EntityKind.SCAM, "GoldenHarvest FX", P2TR, scripted=True), sc, "scammer"
    )
    collected: list[Coin] = []
    for i, v in enumerate(_victims(plot, victims, sc)):
        platform = plot.address(scam)  # one "platform deposit address" per victim
        plot.truth.add(sc, "scam_deposit", "address", platform)
        coin = plot.endow(v, int(rng.lognormal(np.log(2 * BTC), 0.8)) + BTC // 10)
        for k in range(int(rng.integers(1, 4))):
            pay = coin.value // (2 if k == 0 else 3)
            outs, change = plot.send(
                plot.at(0.1 + 0.4 * i / victims + 0.02 * k),
                [coin],
                [(platform, pay)],
                f"{sc}/investment",
            )
            collected += outs
            if change is None:
                break
            coin = change
    pile = plot.sweep(plot.at(0.6), collected, plot.address(scam), f"{sc}/consolidation")
    mules = [_customer(plot) for _ in range(3)]
    pays = [(dep, pile.value // 4) for _, dep in mules]
    plot.send(plot.at(0.62), [pile], pays, f"{sc}/cash_out")
    for c, dep in mules:
        plot.truth.add(sc, "mule", "account", account_id(c))
        plot.truth.add(sc, "mule_deposit", "address", dep)
    return {
        "scenario": sc,
        "mule_accounts": [c for c, _ in mules],
        "mule_deposits": [d for _, d in mules],
        "amount": pile.value * 3 // 4,
    }


def hack(plot: Plot) -> Facts:
    """An exchange hot wallet is drained, fanned out, mixed in Whirlpool and cashed out widely."""
    sc, book, rng = "exchange_hack", plot.sim.book, plot.rng()
    victim_name = f"{EXCHANGE_NAMES[1]} hot wallet (compromised)"
    wallet = plot.actor(
        book.add_entity(EntityKind.EXCHANGE, victim_name, P2WPKH, scripted=True), sc, "victim"
    )
    hacker = plot.actor(
        book.add_entity(EntityKind.HACKER, "Lazarus-like group", P2WPKH, scripted=True),
        sc,
        "hacker",
    )
    stolen = [plot.endow(wallet, 60 * BTC) for _ in range(3)]
    denom = coinjoin.WHIRLPOOL_DENOMINATIONS[2]
    fan = [(plot.address(hacker), denom + 20_000) for _ in range(20)]
    h = plot.at(0.2)
    theft, change = plot.send(h, stolen, fan, f"{sc}/theft")
    plot.truth.add(sc, "theft_change", "address", change.addr if change else -1)
    mixers = [plot.actor(m, "coinjoin", "participant") for m in _people(plot, 5)]
    cashouts = []
    for r in range(5):
        parts = [*theft[4 * r : 4 * r + 4], plot.endow(mixers[r], denom + 20_000)]
        for p in parts[:4]:
            plot.truth.add(sc, "mix_input", "address", p.addr)
        mixed = coinjoin.whirlpool(plot, h + 2 + r, parts, denom, "coinjoin/whirlpool")
        for coin in mixed:
            if int(book.addr_owner.view[coin.addr]) != hacker:
                continue
            exchange = int(rng.integers(0, len(plot.sim.pop.exchanges)))
            dep = _cash_out(plot, sc, "cash_out", exchange)
            plot.send(h + 8 + r, [coin], [(dep, coin.value - 5_000)], f"{sc}/cash_out")
            cashouts.append((exchange, dep))
    ours = [d for e, d in cashouts if e == OUR_EXCHANGE] or [_cash_out(plot, sc, "cash_out")]
    return {"scenario": sc, "cash_out_deposits": ours, "hacker_entity": hacker}


def darknet_market(plot: Plot, buyers: int) -> Facts:
    """Buyers pay per-order market addresses; the market sweeps and pays its vendors."""
    sc, book, rng = "darknet_market", plot.sim.book, plot.rng()
    market = plot.actor(
        book.add_entity(EntityKind.DARKNET_MARKET, "Hydra Bazaar", P2WPKH, scripted=True),
        sc,
        "market",
    )
    vendors = [plot.actor(v, sc, "vendor") for v in _people(plot, 3)]
    orders = []
    for i, b in enumerate(_people(plot, buyers)):
        plot.actor(b, sc, "buyer")
        coin = plot.endow(b, int(rng.lognormal(np.log(BTC // 50), 0.7)) + 200_000)
        order = plot.address(market)
        plot.truth.add(sc, "order_address", "address", order)
        orders += plot.send(
            plot.at(0.1 + 0.5 * i / buyers), [coin], [(order, coin.value // 2)], f"{sc}/purchase"
        )[0]
    hot = plot.sweep(plot.at(0.65), orders, plot.address(market), f"{sc}/market_sweep")
    share = hot.value // (len(vendors) + 1)
    outs, _ = plot.send(
        plot.at(0.66), [hot], [(plot.address(v), share) for v in vendors], f"{sc}/vendor_payout"
    )
    dep = _cash_out(plot, sc, "vendor_cash_out")
    plot.send(plot.at(0.7), [outs[0]], [(dep, outs[0].value - 10_000)], f"{sc}/cash_out")
    return {"scenario": sc, "vendor_deposit": dep}


def sanctioned(plot: Plot) -> Facts:
    """A sanctioned exchange pays a customer of ours (direct exposure); its addresses are listed."""
    sc, book = "sanctions", plot.sim.book
    ent = plot.actor(
        book.add_entity(EntityKind.SANCTIONED, "Volga Crypto Exchange", P2WPKH, scripted=True),
        sc,
        "sanctioned_entity",
    )
    coin = plot.endow(ent, 40 * BTC)
    listed = [coin.addr]
    dep = _cash_out(plot, sc, "exposed_customer")
    _, change = plot.send(plot.at(0.4), [coin], [(dep, 3 * BTC)], f"{sc}/payment")
    if change is not None:
        listed.append(change.addr)
    for a in listed:
        plot.truth.add(sc, "listed_address", "address", a)
    return {"scenario": sc, "listed_addresses": listed, "entity": ent}


def privacy_rounds(plot: Plot, participants: int) -> Facts:
    """Ordinary privacy-minded users in a Wasabi round and a JoinMarket round (not a crime)."""
    sc, book = "coinjoin", plot.sim.book
    coordinator = book.add_entity(
        EntityKind.MIXER, "Wasabi-style coordinator", P2WPKH, scripted=True
    )
    plot.actor(coordinator, sc, "coordinator")
    users = [plot.actor(u, sc, "participant") for u in _people(plot, participants + 4)]
    parts = [
        [plot.endow(u, 10_000_000 + 1_000_000 * (i + 1))]
        for i, u in enumerate(users[:participants])
    ]
    coinjoin.wasabi(plot, plot.at(0.45), parts, coordinator, "coinjoin/wasabi")
    parts = [[plot.endow(u, 2_600_000 + 100_000 * i)] for i, u in enumerate(users[participants:])]
    coinjoin.joinmarket(plot, plot.at(0.5), parts, 2_000_000, "coinjoin/joinmarket")
    return {"scenario": sc}
