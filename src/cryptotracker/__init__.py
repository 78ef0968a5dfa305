"""Crypto Tracker: real-time market data from the exchange to the browser."""

__version__ = "0.1.0"
