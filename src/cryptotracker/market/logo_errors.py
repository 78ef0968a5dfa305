"""The one error a refused logo raises, shared by the raster and the SVG paths."""

from __future__ import annotations


class LogoError(ValueError):
    """A logo we will not serve; `reason` labels the metric."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
