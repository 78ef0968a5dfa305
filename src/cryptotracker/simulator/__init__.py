"""A local market that speaks Binance's (and CoinGecko's) wire protocol, with faults on demand."""
