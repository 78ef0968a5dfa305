"""Fan-out logic: one encoding per distinct payload, coalescing for clients that fall behind.

The transport here is a recording double of Engine.IO's per-socket queues: what is under test is
the bookkeeping, not the sockets (tests/gateway/test_gateway.py covers those for real)."""

from __future__ import annotations

import time

import orjson
from engineio import packet as eio_packet

from cryptotracker.gateway.fanout import MAX_QUEUED, Fanout
from cryptotracker.gateway.subscriptions import Subscriptions
from cryptotracker.pipeline.batch import Batch
from cryptotracker.protocol import PriceDict


class QueueDouble:
    def __init__(self) -> None:
        self.sent: dict[str, list[eio_packet.Packet]] = {}
        self.backlog: dict[str, int] = {}

    def queued(self, eio_sid: str) -> int | None:
        return self.backlog.get(eio_sid, 0)

    def send(self, eio_sid: str, pkt: eio_packet.Packet) -> None:
        self.sent.setdefault(eio_sid, []).append(pkt)

    def link(self, eio_sid: str) -> None:
        return None  # no direct writes: every packet takes the queue, where this double sees it


def upd(symbol: str, value: str) -> PriceDict:
    return {
        "symbol": symbol,
        "price": value,
        "priceChangePercent": "0",
        "high24h": value,
        "low24h": value,
        "volume24h": "1",
        "lastUpdateTime": 1,
        "source": "simulator",
    }


def batch(*updates: PriceDict) -> Batch:
    return Batch(origin="t", seq=1, timestamp=int(time.time() * 1000), updates=list(updates))


def symbols_in(pkt: eio_packet.Packet) -> list[str]:
    text = pkt.data
    assert text.startswith('2["batch_update",')
    return [u["symbol"] for u in orjson.loads(text[1:])[1]["data"]["updates"]]


def setup(subs_by_client: dict[str, set[str]]) -> tuple[Fanout, Subscriptions, QueueDouble]:
    subs = Subscriptions()
    for sid, symbols in subs_by_client.items():
        subs.add_client(sid, "e" + sid)
        subs.subscribe(sid, symbols, set())
    q = QueueDouble()
    return Fanout(subs, q, max_lag_s=0.05), subs, q


def test_payload_encoded_once_per_distinct_symbol_set() -> None:
    fanout, _, q = setup({
        "a": {"BTCUSDT", "ETHUSDT"}, "b": {"BTCUSDT", "ETHUSDT"}, "c": {"BTCUSDT", "ETHUSDT"},
        "d": {"BTCUSDT", "SOLUSDT"},  # different set, same changed part -> same payload
        "e": {"SOLUSDT"},  # nothing changed for it
    })  # fmt: skip
    result = fanout.deliver(batch(upd("BTCUSDT", "1"), upd("ETHUSDT", "2")))
    assert result.payloads == 2
    assert result.messages == 4
    assert q.sent["ea"][0] is q.sent["eb"][0] is q.sent["ec"][0]
    assert symbols_in(q.sent["ed"][0]) == ["BTCUSDT"]
    assert "ee" not in q.sent


def test_slow_client_gets_latest_values_coalesced_once_it_drains() -> None:
    fanout, _, q = setup({"fast": {"BTCUSDT", "ETHUSDT"}, "slow": {"BTCUSDT", "ETHUSDT"}})
    q.backlog["eslow"] = MAX_QUEUED
    fanout.deliver(batch(upd("BTCUSDT", "1")))
    fanout.deliver(batch(upd("BTCUSDT", "2"), upd("ETHUSDT", "7")))
    fanout.deliver(batch(upd("BTCUSDT", "3")))
    assert len(q.sent["efast"]) == 3
    assert "eslow" not in q.sent  # nothing piles up behind a full queue
    q.backlog["eslow"] = 0
    fanout.deliver(batch())  # next tick, nothing new
    [catch_up] = q.sent["eslow"]
    data = orjson.loads(catch_up.data[1:])[1]["data"]["updates"]
    assert {u["symbol"]: u["price"] for u in data} == {"BTCUSDT": "3", "ETHUSDT": "7"}


def test_client_behind_longer_than_limit_is_reported_too_slow() -> None:
    fanout, _, q = setup({"slow": {"BTCUSDT"}})
    q.backlog["eslow"] = MAX_QUEUED + 5
    assert fanout.deliver(batch(upd("BTCUSDT", "1"))).too_slow == set()
    time.sleep(0.06)  # the lag limit is a duration: let it pass (not a synchronisation)
    assert fanout.deliver(batch(upd("BTCUSDT", "2"))).too_slow == {"slow"}


def test_candle_updates_go_to_their_room_only() -> None:
    subs = Subscriptions()
    subs.add_client("a", "ea")
    subs.subscribe("a", set(), {("BTCUSDT", "1m")})
    subs.add_client("b", "eb")
    subs.subscribe("b", set(), {("BTCUSDT", "5m")})
    q = QueueDouble()
    candle = {
        "symbol": "BTCUSDT",
        "interval": "1m",
        "openTime": 0,
        "closeTime": 59999,
        "open": "1",
        "high": "1",
        "low": "1",
        "close": "1",
        "volume": "1",
        "closed": False,
        "source": "simulator",
    }
    Fanout(subs, q, 1).deliver(Batch("t", 1, 0, [], [candle]))  # type: ignore[list-item]
    assert list(q.sent) == ["ea"]
    assert q.sent["ea"][0].data.startswith('2["candle_update",')
