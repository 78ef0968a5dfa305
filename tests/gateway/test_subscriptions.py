from cryptotracker.gateway.subscriptions import Subscriptions


def test_clients_with_same_symbols_share_a_group() -> None:
    subs = Subscriptions()
    for sid in "abc":
        subs.add_client(sid, sid)
    subs.subscribe("a", {"X", "Y"}, set())
    subs.subscribe("b", {"Y"}, set())
    subs.subscribe("b", {"X"}, set())
    subs.subscribe("c", {"X"}, set())
    assert subs.groups == {frozenset({"X", "Y"}): {"a", "b"}, frozenset({"X"}): {"c"}}
    xy, x = subs.masks[frozenset({"X", "Y"})], subs.masks[frozenset({"X"})]
    assert subs.symbols_of(xy) == ["X", "Y"] and subs.symbols_of(x) == ["X"]
    assert xy & x == x and subs.mask_of(["Y", "Z"]) == xy ^ x  # Z: never subscribed


def test_demand_is_the_union_and_version_moves_only_when_it_changes() -> None:
    subs = Subscriptions()
    subs.add_client("a", "a")
    subs.add_client("b", "b")
    subs.subscribe("a", {"X"}, {("X", "1m")})
    v = subs.version
    subs.subscribe("b", {"X"}, {("X", "1m")})
    assert subs.version == v  # X already demanded
    subs.remove_client("a")
    assert subs.version == v
    assert subs.demand() == ({"X"}, {("X", "1m")})
    subs.unsubscribe("b", {"X"}, {("X", "1m")})
    assert subs.version > v
    assert subs.demand() == (frozenset(), frozenset())
    assert subs.groups == {}
    assert subs.masks == {}
    assert subs.candle_clients == {}
