"""The source chain's decisions (market/routing.py), without sockets: who serves each market,
who is demanded what, who runs, and which source the status names."""

from __future__ import annotations

from cryptotracker.market.breaker import CircuitState
from cryptotracker.market.routing import LinkView, main_source, route, routes, shares, should_run
from cryptotracker.protocol import Source

B, C, K = Source.BINANCE, Source.COINBASE, Source.KRAKEN
OPEN, CLOSED = CircuitState.OPEN, CircuitState.CLOSED


def view(
    source: Source,
    listed: set[str] | None = None,
    circuit: CircuitState = CLOSED,
    restricted: bool = False,
) -> LinkView:
    return LinkView(source, circuit, restricted, None if listed is None else frozenset(listed))


def test_each_market_goes_to_the_first_healthy_link_that_lists_it() -> None:
    links = [view(B, {"BTCUSDT"}), view(C, {"BTCUSDT", "BTCUSD"}), view(K, {"XBTEUR"})]
    assert route(links, "BTCUSDT") is B
    assert route(links, "BTCUSD") is C
    assert route(links, "XBTEUR") is K
    assert route(links, "DOGEUSD") is None


def test_a_link_of_unknown_listing_is_taken_to_list_everything() -> None:
    links = [view(B), view(C, {"BTCUSD"})]
    assert route(links, "BTCUSD") is B
    table = routes(links, ["BTCUSD", "NEWUSDT"])
    assert (table.of("BTCUSD"), table.of("NEWUSDT"), table.of("NEVERSEEN")) == (B, B, B)


def test_a_451_moves_the_markets_at_once_before_any_breaker_opens() -> None:
    links = [view(B, {"BTCUSDT"}, restricted=True), view(C, {"BTCUSDT"})]
    assert links[0].circuit is CLOSED
    assert route(links, "BTCUSDT") is C


def test_an_open_breaker_moves_the_markets_down_the_order() -> None:
    links = [view(B, {"BTCUSDT"}, OPEN), view(C, {"ETHUSDT"}), view(K, {"BTCUSDT"})]
    assert route(links, "BTCUSDT") is K
    assert routes(links).of("BTCUSDT") is K
    links[0] = view(B, {"BTCUSDT"}, CircuitState.HALF_OPEN)  # probing: not yet back
    assert route(links, "BTCUSDT") is K


def test_lower_links_are_demanded_only_what_the_higher_cannot_serve() -> None:
    links = [view(B, {"BTCUSDT", "ETHUSDT"}), view(C, {"BTCUSDT", "SOLUSD"}), view(K)]
    demand = (
        frozenset({"BTCUSDT", "ETHUSDT", "SOLUSD", "XBTEUR"}),
        frozenset({("BTCUSDT", "1m"), ("SOLUSD", "5m")}),
    )
    parts = shares(links, routes(links, demand[0]), demand)
    assert parts[B] == (frozenset({"BTCUSDT", "ETHUSDT"}), frozenset({("BTCUSDT", "1m")}))
    assert parts[C] == (frozenset({"SOLUSD"}), frozenset({("SOLUSD", "5m")}))
    assert parts[K] == (frozenset({"XBTEUR"}), frozenset())


def test_only_links_with_something_to_do_run() -> None:
    links = [view(B, {"BTCUSDT"}), view(C, {"BTCUSDT"}), view(K, {"BTCUSDT"})]
    nothing = (frozenset[str](), frozenset[tuple[str, str]]())
    demand = (frozenset({"BTCUSDT"}), frozenset[tuple[str, str]]())
    parts = shares(links, routes(links, demand[0]), demand)
    assert should_run(links, parts) == {B}  # Coinbase and Kraken are not connected at all
    assert should_run(links, {}) == {B}

    links[0] = view(B, {"BTCUSDT"}, restricted=True)
    parts = shares(links, routes(links, demand[0]), demand)
    # Binance keeps trying (the first of the order), Coinbase serves.
    assert should_run(links, parts) == {B, C}
    assert should_run(links, {B: nothing, C: nothing, K: nothing}) == {B, C}

    links[1] = view(C, {"BTCUSDT"}, OPEN)  # a failed link keeps probing until it recovers
    parts = shares(links, routes(links, demand[0]), demand)
    assert parts[K] == demand
    assert should_run(links, parts) == {B, C, K}


def test_the_status_names_the_highest_healthy_link_whose_data_flows() -> None:
    links = [view(B, restricted=True), view(C), view(K)]
    assert main_source(links, {B: False, C: True, K: True}) is C
    assert main_source(links, {B: False, C: False, K: True}) is K
    assert main_source(links, {B: True, C: False, K: False}) is None  # flowing but refused
    assert main_source([view(B), view(C)], {B: True, C: True}) is B
