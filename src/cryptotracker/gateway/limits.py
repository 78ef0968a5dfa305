"""Per-connection and per-address limits on client messages, connections and subscriptions.
Pure bookkeeping with an injectable clock; the gateway asks before it does any work."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum

from cryptotracker.settings import Settings
from cryptotracker.token_bucket import TokenBucket


class AddressBuckets:
    """One token bucket per client address (the HTTP API's per-address rates). Holds at most
    `max_addresses`: past that the least recently seen address is forgotten (it starts again
    with a full burst), so a spray of addresses cannot grow it."""

    def __init__(
        self,
        rate: float,
        burst: int,
        exempt: Collection[str] = (),
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = 10_000,
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._exempt = frozenset(exempt)
        self._clock = clock
        self._max = max_addresses
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, ip: str) -> bool:
        """May `ip` make one more request now?"""
        if self.rate <= 0 or ip in self._exempt:
            return True
        now = self._clock()
        bucket = self._buckets.get(ip)
        if bucket is None:
            bucket = self._buckets[ip] = TokenBucket(self.rate, self.burst, now)
            if len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(ip)
        return bucket.take(now)

    def retry_after(self) -> int:
        """Whole seconds until a limited address has a token again."""
        return max(1, int(1 / self.rate + 0.999)) if self.rate > 0 else 0


class Verdict(Enum):
    PASS = "pass"
    LIMITED = "limited"  # answer with a rate_limited error, keep the connection
    FLOOD = "flood"  # over the limit too long: disconnect


@dataclass(slots=True)
class _Conn:
    ip: str
    bucket: TokenBucket
    strikes: int = 0
    subscriptions: int = 0


@dataclass(slots=True)
class _Address:
    bucket: TokenBucket
    connections: int = 0
    subscriptions: int = 0


class Limits:
    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._s = settings
        self._clock = clock
        self._exempt = frozenset(settings.limit_exempt_ips)
        self._conns: dict[str, _Conn] = {}
        self._addresses: dict[str, _Address] = {}

    def exempt(self, ip: str) -> bool:
        return ip in self._exempt

    def admit(self, ip: str) -> bool:
        """May `ip` open one more connection?"""
        limit = self._s.max_connections_per_ip
        if limit <= 0 or self.exempt(ip):
            return True
        address = self._addresses.get(ip)
        return address is None or address.connections < limit

    def opened(self, eio_sid: str, ip: str) -> None:
        now = self._clock()
        s = self._s
        bucket = TokenBucket(s.client_messages_per_s, s.client_message_burst, now)
        self._conns[eio_sid] = _Conn(ip, bucket)
        address = self._addresses.get(ip)
        if address is None:
            address = _Address(TokenBucket(s.ip_messages_per_s, s.ip_message_burst, now))
            self._addresses[ip] = address
        address.connections += 1

    def closed(self, eio_sid: str) -> None:
        conn = self._conns.pop(eio_sid, None)
        if conn is None:
            return
        address = self._addresses[conn.ip]
        address.connections -= 1
        address.subscriptions -= conn.subscriptions
        if address.connections <= 0:
            del self._addresses[conn.ip]

    def message(self, eio_sid: str) -> Verdict:
        """One incoming message of a connection: within its rate and its address's rate?"""
        conn = self._conns.get(eio_sid)
        if conn is None:  # before the Socket.IO connect: the handshake itself
            return Verdict.PASS
        now = self._clock()
        ok = conn.bucket.take(now)
        if ok and not self.exempt(conn.ip):
            ok = self._addresses[conn.ip].bucket.take(now)
        if ok:
            conn.strikes = 0
            return Verdict.PASS
        conn.strikes += 1
        return Verdict.FLOOD if conn.strikes >= self._s.flood_disconnect_after else Verdict.LIMITED

    def subscriptions_allowed(self, eio_sid: str, total: int) -> bool:
        """Would `total` subscriptions (symbols and candle streams) on this connection keep its
        address within max_symbols_per_ip?"""
        conn = self._conns.get(eio_sid)
        limit = self._s.max_symbols_per_ip
        if conn is None or limit <= 0 or self.exempt(conn.ip):
            return True
        others = self._addresses[conn.ip].subscriptions - conn.subscriptions
        return others + total <= limit

    def set_subscriptions(self, eio_sid: str, total: int) -> None:
        conn = self._conns.get(eio_sid)
        if conn is None:
            return
        self._addresses[conn.ip].subscriptions += total - conn.subscriptions
        conn.subscriptions = total

    def connections(self, ip: str) -> int:
        address = self._addresses.get(ip)
        return 0 if address is None else address.connections


def ack_id(text: str) -> int | None:
    """The ack id of a Socket.IO EVENT packet on the default namespace (`2<id>[...`), if any."""
    if not text.startswith("2"):
        return None
    end = 1
    while end < len(text) and text[end].isdigit():
        end += 1
    return int(text[1:end]) if end > 1 and end <= 20 else None
