"""Engine.IO sessions without sockets: the engine is driven with parsed requests and answers
into recording responders (the long-polling side of handshake, heartbeat, close, maxPayload,
overlapping polls, session binding). The WebSocket side is in test_direct_path.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import orjson

from cryptotracker.gateway.engine import Engine, EngineConfig, Request, Session

CONFIG = EngineConfig(ping_interval_s=0.05, ping_timeout_s=0.05, max_payload=100,
                      cors_origins=frozenset({"https://ok.example"}), route="t2")  # fmt: skip


class Answer:
    """A responder that records its answers (one request's connection)."""

    transport: Any = None

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes]] = []
        self.on_lost: Callable[[], None] | None = None

    def respond(
        self, status: int, headers: list[tuple[bytes, bytes]], body: bytes, close: bool = False
    ) -> None:
        self.answers.append((status, body))

    def park(self, on_lost: Callable[[], None]) -> None:
        self.on_lost = on_lost


class App:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.ended: list[str] = []

    def opened(self, session: Session) -> None:
        pass

    def message(self, session: Session, data: bytes, binary: bool) -> None:
        self.messages.append(data)

    def inbound(self, session: Session, data: bytes) -> bool:
        return True

    def too_big(self, session: Session) -> None:
        self.messages.append(b"<too big>")

    def closed(self, session: Session, reason: str) -> None:
        self.ended.append(reason)


def request(method: bytes, query: str, body: bytes = b"", client: str = "10.0.0.1",
            **headers: bytes) -> Request:  # fmt: skip
    fields = {k.encode(): v for k, v in headers.items()}
    return Request(method, "/socket.io/", query.encode(), fields, body, client)


def open_session(engine: Engine) -> str:
    answer = Answer()
    engine.handle_http(request(b"GET", "EIO=4&transport=polling"), answer)
    [(status, body)] = answer.answers
    assert status == 200 and body.startswith(b"0{")
    return str(orjson.loads(body[1:])["sid"])


async def test_handshake_carries_the_route_and_the_settings() -> None:
    engine = Engine(App(), CONFIG)
    answer = Answer()
    engine.handle_http(request(b"GET", "EIO=4&transport=polling"), answer)
    handshake = orjson.loads(answer.answers[0][1][1:])
    assert handshake["sid"].startswith("t2.")
    assert handshake == {"sid": handshake["sid"], "upgrades": ["websocket"],
                         "pingInterval": 50, "pingTimeout": 50, "maxPayload": 100}  # fmt: skip


async def test_bad_queries_and_origins_get_400() -> None:
    engine = Engine(App(), CONFIG)
    for query in ("transport=polling", "EIO=3&transport=polling", "EIO=4", "EIO=4&transport=x"):
        answer = Answer()
        engine.handle_http(request(b"GET", query), answer)
        assert answer.answers[0][0] == 400, query
    answer = Answer()
    evil = request(b"GET", "EIO=4&transport=polling", origin=b"https://evil.example")
    engine.handle_http(evil, answer)
    assert answer.answers[0][0] == 400
    assert not engine.sessions


async def test_messages_in_a_post_reach_the_app_in_order() -> None:
    app = App()
    engine = Engine(app, CONFIG)
    sid = open_session(engine)
    answer = Answer()
    engine.handle_http(request(b"POST", f"EIO=4&transport=polling&sid={sid}", b"4a\x1e4b"), answer)
    assert answer.answers == [(200, b"ok")]
    assert app.messages == [b"a", b"b"]


async def test_parked_poll_gets_what_is_queued_in_one_answer() -> None:
    engine = Engine(App(), CONFIG)
    sid = open_session(engine)
    poll = Answer()
    engine.handle_http(request(b"GET", f"EIO=4&transport=polling&sid={sid}"), poll)
    assert poll.answers == []
    engine.sessions[sid].send(b"4x")
    engine.sessions[sid].send(b"4y")
    await asyncio.sleep(0)  # packets of one tick leave together
    assert poll.answers == [(200, b"4x\x1e4y")]


async def test_unanswered_ping_closes_the_session() -> None:
    app = App()
    engine = Engine(app, CONFIG)
    sid = open_session(engine)
    poll = Answer()
    engine.handle_http(request(b"GET", f"EIO=4&transport=polling&sid={sid}"), poll)
    async with asyncio.timeout(2):
        while sid in engine.sessions:
            await asyncio.sleep(0.01)
    assert poll.answers[0] == (200, b"2")  # the ping
    assert app.ended == ["ping timeout"]


async def test_answered_pings_keep_the_session() -> None:
    engine = Engine(App(), CONFIG)
    sid = open_session(engine)
    query = f"EIO=4&transport=polling&sid={sid}"
    for _ in range(4):
        poll = Answer()
        engine.handle_http(request(b"GET", query), poll)
        async with asyncio.timeout(2):
            while not poll.answers:
                await asyncio.sleep(0.005)
        assert poll.answers == [(200, b"2")]
        engine.handle_http(request(b"POST", query, b"3"), Answer())
    assert sid in engine.sessions


async def test_post_over_max_payload_is_413_and_ends_the_session() -> None:
    app = App()
    engine = Engine(app, CONFIG)
    sid = open_session(engine)
    answer = Answer()
    engine.handle_http(request(b"POST", f"EIO=4&transport=polling&sid={sid}", b"4" * 101), answer)
    assert answer.answers[0][0] == 413
    assert app.messages == [b"<too big>"] and sid not in engine.sessions


async def test_client_close_answers_its_poll_with_noop_even_when_the_poll_comes_second() -> None:
    engine = Engine(App(), CONFIG)
    sid = open_session(engine)
    query = f"EIO=4&transport=polling&sid={sid}"
    engine.handle_http(request(b"POST", query, b"1"), Answer())
    late = Answer()
    engine.handle_http(request(b"GET", query), late)
    assert late.answers == [(200, b"6")]
    again = Answer()
    engine.handle_http(request(b"GET", query), again)
    assert again.answers[0][0] == 400


async def test_session_answers_only_the_address_that_opened_it() -> None:
    engine = Engine(App(), CONFIG)
    sid = open_session(engine)
    query = f"EIO=4&transport=polling&sid={sid}"
    for method, body in ((b"GET", b""), (b"POST", b"1")):
        answer = Answer()
        engine.handle_http(request(method, query, body, client="10.0.0.2"), answer)
        assert answer.answers[0][0] == 400
    assert sid in engine.sessions
