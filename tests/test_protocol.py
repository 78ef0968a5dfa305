"""The protocol is defined once (pydantic models); the committed JSON Schema (source of the
generated TypeScript types) must match them, and hot-path dicts must be valid models."""

from __future__ import annotations

import orjson

from cryptotracker.protocol import (
    MAX_HALTED,
    BatchUpdate,
    CandleData,
    ConnectionStatus,
    Envelope,
    PriceDict,
    PriceUpdate,
    ServerEvent,
    envelope,
    json_schema,
)
from tests.support import ROOT

SCHEMA_FILE = ROOT / "docs" / "protocol.schema.json"


def test_committed_schema_matches_the_models() -> None:
    committed = orjson.loads(SCHEMA_FILE.read_bytes())
    assert committed == orjson.loads(orjson.dumps(json_schema())), (
        "docs/protocol.schema.json is stale: run `make schema` and commit the result"
    )


def test_wire_shaped_dicts_are_valid_models_and_keep_decimal_strings() -> None:
    update: PriceDict = {
        "symbol": "PEPEUSDT", "price": "0.00001234", "priceChangePercent": "-3.10",
        "high24h": "0.00001300", "low24h": "0.00001200", "volume24h": "98765432101.12345678",
        "lastUpdateTime": 1672515782136, "source": "binance",
    }  # fmt: skip
    model = PriceUpdate.model_validate(update)
    assert model.model_dump(by_alias=True, mode="json") == update
    env = envelope(ServerEvent.BATCH_UPDATE, {"updates": [update], "timestamp": 1}, 2, "r")
    parsed = Envelope.model_validate(orjson.loads(orjson.dumps(env)))
    assert isinstance(parsed.data, BatchUpdate)
    assert parsed.data.updates[0].volume24h == "98765432101.12345678"
    assert parsed.request_id == "r"


def test_candle_model_rejects_numbers_for_prices() -> None:
    bad = {
        "symbol": "BTCUSDT",
        "interval": "1m",
        "openTime": 0,
        "closeTime": 1,
        "open": 1.5,
        "high": "1",
        "low": "1",
        "close": "1",
        "volume": "1",
        "closed": True,
        "source": "binance",
    }
    try:
        CandleData.model_validate(bad)
    except ValueError:
        return
    raise AssertionError("a float price must not validate: decimals travel as strings")


def test_connection_status_lists_at_most_max_halted_markets() -> None:
    status = {"status": "connected", "message": "m", "timestamp": 1, "live": True}
    at_most = {f"S{i:03d}USDT": "BREAK" for i in range(MAX_HALTED)}
    assert ConnectionStatus.model_validate({**status, "halted": at_most}).halted == at_most
    try:
        ConnectionStatus.model_validate({**status, "halted": {**at_most, "ZZUSDT": "HALT"}})
    except ValueError:
        return
    raise AssertionError("a status naming more than MAX_HALTED markets was accepted")
