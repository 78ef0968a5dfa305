"""Binance's documented hosts for one kind of connection (stream or REST), in the order tried:
a host that does not answer hands over to the next, round the list. Which failures count is
the caller's decision (a refusal such as 429, 418 or 451 does not: every host of the address
shares its limits and its ban). Pure bookkeeping; `binance.py` and `binance_rest.py` connect.
"""

from __future__ import annotations

from collections.abc import Sequence


class Hosts:
    def __init__(self, urls: Sequence[str]) -> None:
        cleaned = [u.rstrip("/") for u in urls if u.strip()]
        if not cleaned:
            raise ValueError("at least one host")
        self.urls = list(dict.fromkeys(cleaned))
        self.current = self.urls[0]

    def __len__(self) -> int:
        return len(self.urls)

    def failed(self, url: str) -> bool:
        """`url` did not answer: the next host becomes current. False when there is no other
        host, or when another caller already moved on from `url` (its successor stays)."""
        if len(self.urls) == 1 or url != self.current:
            return False
        self.current = self.urls[(self.urls.index(url) + 1) % len(self.urls)]
        return True
