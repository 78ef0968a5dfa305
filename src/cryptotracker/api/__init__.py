"""HTTP routes: health, metrics, symbols, prices and candles."""
