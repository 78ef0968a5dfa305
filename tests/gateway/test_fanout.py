"""Fan-out logic: one encoding per distinct payload, coalescing for clients that fall behind.

Each client's session here is a recording double of engine.Session's `offer`/`push`/`backlog`:
what is under test is the bookkeeping; tests/gateway/test_direct_path.py drives the same path
over real sockets."""

from __future__ import annotations

import time

import orjson

from cryptotracker.gateway.encode import OutFrame
from cryptotracker.gateway.engine import BEHIND, GONE, SENT
from cryptotracker.gateway.fanout import Fanout
from cryptotracker.gateway.subscriptions import Subscriptions
from cryptotracker.pipeline.batch import Batch
from cryptotracker.protocol import PriceDict


class OutletDouble:
    """One session: what was written to it, and a backlog the test sets."""

    def __init__(self) -> None:
        self.sent: list[OutFrame] = []
        self.backlog_bytes = 0
        self.gone = False

    def offer(self, out: OutFrame) -> int:
        if self.gone:
            return GONE
        if self.backlog_bytes > 0:
            return BEHIND
        self.sent.append(out)
        return SENT

    def push(self, out: OutFrame) -> bool:
        self.sent.append(out)
        return not self.gone

    def backlog(self) -> int | None:
        return None if self.gone else self.backlog_bytes


class Outlets(dict[str, OutletDouble]):
    """Sessions by client sid; `sent` as the old queue double had it (only non-empty ones)."""

    @property
    def sent(self) -> dict[str, list[OutFrame]]:
        return {"e" + sid: o.sent for sid, o in self.items() if o.sent}


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


def symbols_in(out: OutFrame) -> list[str]:
    text = out.packet
    assert text.startswith(b'42["batch_update",')
    return [u["symbol"] for u in orjson.loads(text[2:])[1]["data"]["updates"]]


def add(subs: Subscriptions, outlets: Outlets, sid: str) -> None:
    client = subs.add_client(sid, "e" + sid)
    client.outlet = outlets[sid] = OutletDouble()


def setup(subs_by_client: dict[str, set[str]]) -> tuple[Fanout, Subscriptions, Outlets]:
    subs = Subscriptions()
    outlets = Outlets()
    for sid, symbols in subs_by_client.items():
        add(subs, outlets, sid)
        subs.subscribe(sid, symbols, set())
    return Fanout(subs, max_lag_s=0.05), subs, outlets


def test_payload_encoded_once_per_distinct_symbol_set() -> None:
    fanout, _, q = setup({
        "a": {"BTCUSDT", "ETHUSDT"}, "b": {"BTCUSDT", "ETHUSDT"}, "c": {"BTCUSDT", "ETHUSDT"},
        "d": {"BTCUSDT", "SOLUSDT"},  # different set, same changed part -> same payload
        "e": {"SOLUSDT"},  # nothing changed for it
    })  # fmt: skip
    result = fanout.send_batch(batch(upd("BTCUSDT", "1"), upd("ETHUSDT", "2")))
    assert result.payloads == 2
    assert result.messages == 4
    assert q.sent["ea"][0] is q.sent["eb"][0] is q.sent["ec"][0]
    assert symbols_in(q.sent["ed"][0]) == ["BTCUSDT"]
    assert "ee" not in q.sent


def test_slow_client_gets_latest_values_coalesced_once_it_drains() -> None:
    fanout, _, q = setup({"fast": {"BTCUSDT", "ETHUSDT"}, "slow": {"BTCUSDT", "ETHUSDT"}})
    q["slow"].backlog_bytes = 70_000
    fanout.send_batch(batch(upd("BTCUSDT", "1")))
    fanout.send_batch(batch(upd("BTCUSDT", "2"), upd("ETHUSDT", "7")))
    fanout.send_batch(batch(upd("BTCUSDT", "3")))
    assert len(q.sent["efast"]) == 3
    assert "eslow" not in q.sent  # nothing piles up behind a full queue
    q["slow"].backlog_bytes = 0
    fanout.send_batch(batch())  # next tick, nothing new
    [catch_up] = q.sent["eslow"]
    data = orjson.loads(catch_up.packet[2:])[1]["data"]["updates"]
    assert {u["symbol"]: u["price"] for u in data} == {"BTCUSDT": "3", "ETHUSDT": "7"}


def test_client_behind_longer_than_limit_is_reported_too_slow() -> None:
    fanout, _, q = setup({"slow": {"BTCUSDT"}})
    q["slow"].backlog_bytes = 70_000
    assert fanout.send_batch(batch(upd("BTCUSDT", "1"))).too_slow == set()
    time.sleep(0.06)  # the lag limit is a duration: let it pass (not a synchronisation)
    assert fanout.send_batch(batch(upd("BTCUSDT", "2"))).too_slow == {"slow"}


def test_candle_updates_go_to_their_room_only() -> None:
    subs = Subscriptions()
    q = Outlets()
    add(subs, q, "a")
    subs.subscribe("a", set(), {("BTCUSDT", "1m")})
    add(subs, q, "b")
    subs.subscribe("b", set(), {("BTCUSDT", "5m")})
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
    Fanout(subs, 1).send_batch(Batch("t", 1, 0, [], [candle]))  # type: ignore[list-item]
    assert list(q.sent) == ["ea"]
    assert q.sent["ea"][0].packet.startswith(b'42["candle_update",')
