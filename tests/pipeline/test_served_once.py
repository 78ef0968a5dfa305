"""Around a fail-over the same batch or update can arrive twice (a redelivered message, two
feeds overlapping for a moment); a client is served each one once and never an older one."""

from __future__ import annotations

from cryptotracker.pipeline.batch import Batch
from cryptotracker.pipeline.bus import RedisBus
from cryptotracker.pipeline.redis_link import RedisLink
from cryptotracker.pipeline.store import PriceStore
from cryptotracker.protocol import PriceDict
from tests.pipeline.test_redis import upd


def test_store_passes_news_and_drops_repeats_and_older_updates() -> None:
    store = PriceStore()
    store.apply([upd("BTCUSDT", "1", t=10), upd("ETHUSDT", "2", t=10)])
    news = store.fresh([
        upd("BTCUSDT", "1", t=10),  # the same update again
        upd("ETHUSDT", "3", t=9),  # older than what was served
        upd("SOLUSDT", "4", t=1),  # never seen
    ])  # fmt: skip
    assert news == [upd("SOLUSDT", "4", t=1)]
    newer = [upd("BTCUSDT", "5", t=11), upd("ETHUSDT", "6", t=10)]  # later; same ms, new value
    assert store.fresh(newer) == newer


def test_store_passes_an_older_update_from_another_source() -> None:
    """A fallback source may lag the one it replaces; its prices are still served."""
    store = PriceStore()
    store.apply([upd("BTCUSDT", "1", t=10)])
    fallback: PriceDict = {**upd("BTCUSDT", "2", t=5), "source": "coingecko"}
    assert store.fresh([fallback]) == [fallback]


def test_bus_delivers_a_redelivered_batch_once() -> None:
    bus = RedisBus(RedisLink("redis://127.0.0.1:1/0"), origin="b")
    got: list[int] = []
    bus.subscribe(lambda batch: got.append(batch.seq))
    for seq in (1, 2, 2, 1, 3):
        bus.receive(Batch("a", seq, 0, [upd("BTCUSDT", str(seq), t=seq)]).to_json())
    bus.receive(Batch("b", 4, 0, []).to_json())  # our own: skipped
    for _ in range(2):
        bus.receive(Batch("a", 0, 0, []).to_json())  # status only: always passed on
    assert got == [1, 2, 3, 0, 0]
    assert bus.repeated == 2
