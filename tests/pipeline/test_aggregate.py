from cryptotracker.pipeline.aggregate import Aggregator
from cryptotracker.protocol import CandleDict, PriceDict


def upd(symbol: str, value: str, t: int = 1) -> PriceDict:
    return {
        "symbol": symbol,
        "price": value,
        "priceChangePercent": "0",
        "high24h": value,
        "low24h": value,
        "volume24h": "1",
        "lastUpdateTime": t,
        "source": "binance",
    }


def test_latest_update_per_symbol_wins() -> None:
    agg = Aggregator("i")
    agg.on_price(upd("X", "1"))
    agg.on_price(upd("X", "2"))
    agg.on_price(upd("Y", "5"))
    batch = agg.drain()
    assert batch is not None
    assert {u["symbol"]: u["price"] for u in batch.updates} == {"X": "2", "Y": "5"}


def test_batch_holds_only_changed_symbols() -> None:
    agg = Aggregator("i")
    agg.on_price(upd("X", "1"))
    agg.drain()
    agg.on_price(upd("X", "1", t=2))  # same values, later time: not a change
    assert agg.drain() is None
    agg.on_price(upd("X", "1.5", t=3))
    batch = agg.drain()
    assert batch is not None and [u["price"] for u in batch.updates] == ["1.5"]


def test_batches_are_numbered_per_origin() -> None:
    agg = Aggregator("me")
    agg.on_price(upd("X", "1"))
    first = agg.drain()
    agg.on_price(upd("X", "2"))
    second = agg.drain()
    assert first is not None and second is not None
    assert (first.origin, second.origin) == ("me", "me")
    assert second.seq == first.seq + 1


def candle(open_time: int, close: str) -> CandleDict:
    return CandleDict(
        symbol="X", interval="1m", openTime=open_time, closeTime=open_time + 59_999,
        open="1", high="2", low="0.5", close=close, volume="1", closed=False, source="binance",
    )  # fmt: skip


def test_a_backfill_burst_keeps_every_candle_and_a_forming_one_only_its_latest() -> None:
    agg = Aggregator("i")
    for minute, close in ((0, "1"), (1, "2"), (2, "3")):  # closed during a reconnect gap
        agg.on_candle({**candle(minute * 60_000, close), "closed": True})
    agg.on_candle(candle(180_000, "4.0"))  # the forming one, twice in one interval
    agg.on_candle(candle(180_000, "4.5"))
    batch = agg.drain()
    assert batch is not None
    assert [(c["openTime"], c["close"]) for c in batch.candles] == [
        (0, "1"), (60_000, "2"), (120_000, "3"), (180_000, "4.5"),
    ]  # fmt: skip


def test_a_delisted_symbol_is_named_once_and_its_pending_values_dropped() -> None:
    agg = Aggregator("i")
    agg.on_price(upd("X", "1"))
    agg.drain()
    agg.on_price(upd("X", "2"))
    agg.on_price(upd("Y", "5"))
    agg.on_delisted(["X"])
    batch = agg.drain()
    assert batch is not None
    assert batch.delisted == ["X"]
    assert [u["symbol"] for u in batch.updates] == ["Y"]
    assert agg.drain() is None  # said once
    agg.on_price(upd("X", "1"))  # listed again later: news again, even at its old value
    batch = agg.drain()
    assert batch is not None and [u["price"] for u in batch.updates] == ["1"]
    assert batch.delisted == []


def test_a_batch_carries_its_delisted_symbols_across_the_bus() -> None:
    from cryptotracker.pipeline.batch import Batch

    batch = Batch("i", 1, 2, [], [], None, ["X", "Y"])
    assert Batch.from_json(batch.to_json()) == batch
