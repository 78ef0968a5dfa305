"""The simulated coins and their USDT markets: real base assets first (with CoinGecko ids), then
synthetic ones. Markets of other quotes are derived from these (`quotes.py`).

Prices are integers in units of 1e-8 (Binance prints every decimal with 8 places), so tick and
lot sizes are exact and sums of volumes never drift.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from typing import Final

QUOTE: Final = "USDT"
UNIT: Final = 100_000_000  # 1.00000000 in price/quantity units

# base, CoinGecko id, name, starting price (USDT), 24 h quote volume (million USDT).
_KNOWN: Final[tuple[tuple[str, str, str, str, float], ...]] = (
    ("BTC", "bitcoin", "Bitcoin", "95000.00", 2500.0),
    ("ETH", "ethereum", "Ethereum", "3300.00", 1500.0),
    ("BNB", "binancecoin", "BNB", "650.00", 180.0),
    ("SOL", "solana", "Solana", "180.00", 700.0),
    ("XRP", "ripple", "XRP", "2.3000", 600.0),
    ("DOGE", "dogecoin", "Dogecoin", "0.32000", 400.0),
    ("ADA", "cardano", "Cardano", "0.9000", 150.0),
    ("TRX", "tron", "TRON", "0.2500", 90.0),
    ("AVAX", "avalanche-2", "Avalanche", "35.00", 90.0),
    ("LINK", "chainlink", "Chainlink", "20.00", 100.0),
    ("DOT", "polkadot", "Polkadot", "6.500", 50.0),
    ("TON", "the-open-network", "Toncoin", "5.500", 40.0),
    ("SHIB", "shiba-inu", "Shiba Inu", "0.00002100", 60.0),
    ("LTC", "litecoin", "Litecoin", "100.00", 60.0),
    ("BCH", "bitcoin-cash", "Bitcoin Cash", "430.00", 40.0),
    ("SUI", "sui", "Sui", "4.2000", 200.0),
    ("PEPE", "pepe", "Pepe", "0.00001234", 250.0),
    ("UNI", "uniswap", "Uniswap", "13.00", 40.0),
    ("NEAR", "near", "NEAR Protocol", "5.000", 50.0),
    ("APT", "aptos", "Aptos", "9.000", 30.0),
    ("ICP", "internet-computer", "Internet Computer", "10.00", 20.0),
    ("POL", "polygon-ecosystem-token", "POL (ex-MATIC)", "0.4500", 25.0),
    ("ETC", "ethereum-classic", "Ethereum Classic", "26.00", 20.0),
    ("XLM", "stellar", "Stellar", "0.4000", 40.0),
    ("ATOM", "cosmos", "Cosmos Hub", "6.500", 20.0),
    ("HBAR", "hedera-hashgraph", "Hedera", "0.2800", 40.0),
    ("FIL", "filecoin", "Filecoin", "5.000", 20.0),
    ("ARB", "arbitrum", "Arbitrum", "0.7000", 30.0),
    ("OP", "optimism", "Optimism", "1.800", 20.0),
    ("AAVE", "aave", "Aave", "320.00", 40.0),
    ("INJ", "injective-protocol", "Injective", "22.00", 20.0),
    ("RENDER", "render-token", "Render", "6.500", 15.0),
    ("VET", "vechain", "VeChain", "0.04500", 10.0),
    ("ALGO", "algorand", "Algorand", "0.3800", 15.0),
    ("TAO", "bittensor", "Bittensor", "450.0", 30.0),
    ("ENA", "ethena", "Ethena", "0.9000", 60.0),
    ("WIF", "dogwifcoin", "dogwifhat", "2.000", 60.0),
    ("BONK", "bonk", "Bonk", "0.00003000", 50.0),
    ("FLOKI", "floki", "FLOKI", "0.00015000", 20.0),
    ("FET", "fetch-ai", "Artificial Superintelligence Alliance", "1.300", 40.0),
    ("GRT", "the-graph", "The Graph", "0.2000", 10.0),
    ("SAND", "the-sandbox", "The Sandbox", "0.5500", 10.0),
    ("MANA", "decentraland", "Decentraland", "0.5000", 6.0),
    ("AXS", "axie-infinity", "Axie Infinity", "6.000", 6.0),
    ("EGLD", "elrond-erd-2", "MultiversX", "30.00", 5.0),
    ("XTZ", "tezos", "Tezos", "1.200", 5.0),
    ("EOS", "eos", "EOS", "0.8000", 8.0),
    ("THETA", "theta-token", "Theta Network", "2.000", 4.0),
    ("MKR", "maker", "Maker", "1500.0", 8.0),
    ("CRV", "curve-dao-token", "Curve DAO", "0.9000", 15.0),
    ("LDO", "lido-dao", "Lido DAO", "1.800", 10.0),
    ("STX", "blockstack", "Stacks", "1.600", 8.0),
    ("IMX", "immutable-x", "Immutable", "1.300", 6.0),
    ("SEI", "sei-network", "Sei", "0.4500", 15.0),
    ("TIA", "celestia", "Celestia", "5.000", 15.0),
    ("RUNE", "thorchain", "THORChain", "5.000", 10.0),
    ("ZEC", "zcash", "Zcash", "50.00", 10.0),
    ("DASH", "dash", "Dash", "35.00", 6.0),
    ("NEO", "neo", "NEO", "14.00", 6.0),
    ("QNT", "quant-network", "Quant", "100.00", 3.0),
    ("CHZ", "chiliz", "Chiliz", "0.09000", 8.0),
    ("ENS", "ethereum-name-service", "Ethereum Name Service", "30.00", 8.0),
    ("COMP", "compound-governance-token", "Compound", "80.00", 5.0),
    ("SNX", "havven", "Synthetix", "2.200", 5.0),
    ("1INCH", "1inch", "1inch", "0.4000", 5.0),
    ("ZIL", "zilliqa", "Zilliqa", "0.02200", 4.0),
    ("ENJ", "enjincoin", "Enjin Coin", "0.2500", 3.0),
    ("BAT", "basic-attention-token", "Basic Attention", "0.2200", 3.0),
    ("GALA", "gala", "GALA", "0.03500", 15.0),
    ("FLOW", "flow", "Flow", "0.7500", 3.0),
    ("KAVA", "kava", "Kava", "0.4500", 3.0),
    ("JUP", "jupiter-exchange-solana", "Jupiter", "0.8500", 15.0),
    ("PENDLE", "pendle", "Pendle", "5.000", 10.0),
    ("WLD", "worldcoin-wld", "Worldcoin", "2.200", 30.0),
    ("USDC", "usd-coin", "USDC", "1.0001", 900.0),
    ("FDUSD", "first-digital-usd", "First Digital USD", "0.9990", 500.0),
    ("ORDI", "ordinals", "ORDI", "30.00", 20.0),
    ("PYTH", "pyth-network", "Pyth Network", "0.4000", 8.0),
    ("JTO", "jito-governance-token", "Jito", "3.000", 6.0),
    ("GMX", "gmx", "GMX", "25.00", 2.0),
    ("KSM", "kusama", "Kusama", "30.00", 3.0),
    ("IOTA", "iota", "IOTA", "0.3000", 4.0),
    ("ZRX", "0x", "0x Protocol", "0.5000", 3.0),
    ("ANKR", "ankr", "Ankr", "0.03500", 3.0),
    ("ONE", "harmony", "Harmony", "0.02000", 3.0),
    ("CELO", "celo", "Celo", "0.7000", 3.0),
    ("ROSE", "oasis-network", "Oasis", "0.08000", 3.0),
    ("MINA", "mina-protocol", "Mina Protocol", "0.6000", 3.0),
    ("AR", "arweave", "Arweave", "18.00", 8.0),
    ("BLUR", "blur", "Blur", "0.3000", 4.0),
    ("NOT", "notcoin", "Notcoin", "0.006000", 10.0),
    ("PEOPLE", "constitutiondao", "ConstitutionDAO", "0.05000", 15.0),
    ("LUNC", "terra-luna", "Terra Luna Classic", "0.00009000", 8.0),
    ("LUNA", "terra-luna-2", "Terra", "0.4000", 5.0),
    ("XEC", "ecash", "eCash", "0.00003500", 3.0),
    ("BTTC", "bittorrent", "BitTorrent", "0.00000090", 3.0),
    ("WIN", "wink", "WINkLink", "0.00009000", 2.0),
    ("HOT", "holotoken", "Holo", "0.002000", 2.0),
    ("JASMY", "jasmycoin", "JasmyCoin", "0.03000", 15.0),
    ("CFX", "conflux-token", "Conflux", "0.1500", 5.0),
    ("SUSHI", "sushi", "Sushi", "1.100", 5.0),
    ("YFI", "yearn-finance", "yearn.finance", "7500.0", 3.0),
    ("ONT", "ontology", "Ontology", "0.2500", 2.0),
    ("ICX", "icon", "ICON", "0.2000", 2.0),
    ("QTUM", "qtum", "Qtum", "3.000", 2.0),
    ("RVN", "ravencoin", "Ravencoin", "0.02000", 2.0),
    ("STORJ", "storj", "Storj", "0.5000", 2.0),
    ("SKL", "skale", "SKALE", "0.05000", 2.0),
    ("CKB", "nervos-network", "Nervos Network", "0.01200", 3.0),
    ("API3", "api3", "API3", "1.500", 2.0),
    ("MASK", "mask-network", "Mask Network", "3.000", 3.0),
    ("LRC", "loopring", "Loopring", "0.2000", 2.0),
    ("CELR", "celer-network", "Celer Network", "0.01500", 2.0),
    ("GMT", "stepn", "GMT", "0.2000", 4.0),
    ("APE", "apecoin", "ApeCoin", "1.200", 8.0),
    ("MAGIC", "magic", "Treasure", "0.5000", 3.0),
    ("SSV", "ssv-network", "SSV Network", "25.00", 2.0),
    ("RPL", "rocket-pool", "Rocket Pool", "10.00", 1.0),
    ("WOO", "woo-network", "WOO", "0.2000", 2.0),
    ("DENT", "dent", "Dent", "0.001200", 1.0),
    ("SC", "siacoin", "Siacoin", "0.006000", 2.0),
    ("DGB", "digibyte", "DigiByte", "0.01200", 1.0),
    ("STRK", "starknet", "Starknet", "0.5000", 10.0),
    ("ZK", "zksync", "ZKsync", "0.1800", 10.0),
    ("W", "wormhole", "Wormhole", "0.3000", 6.0),
    ("ETHFI", "ether-fi", "ether.fi", "2.000", 10.0),
    ("ONDO", "ondo-finance", "Ondo", "1.400", 20.0),
    ("RAY", "raydium", "Raydium", "5.000", 8.0),
    ("TRUMP", "official-trump", "Official Trump", "15.00", 80.0),
    ("BOME", "book-of-meme", "BOOK OF MEME", "0.008000", 10.0),
    ("PENGU", "pudgy-penguins", "Pudgy Penguins", "0.03000", 20.0),
    ("1000SATS", "", "1000*SATS (Ordinals)", "0.00030000", 5.0),
)


_SYLLABLES: Final = (
    "ka", "zo", "ri", "vex", "lu", "na", "tor", "mi", "quo", "sa", "the", "dra", "pix", "ne",
    "ol", "va", "ryn", "ae", "xi", "bo", "lim", "ga", "fu", "zen", "or", "ti", "mo", "rex",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Asset:
    """One simulated market `<base><quote>` and its static properties (prices and volumes in
    units of the quote)."""

    base: str
    name: str
    coingecko_id: str
    price: int  # starting price, units of 1e-8
    tick: int  # PRICE_FILTER tickSize, units
    step: int  # LOT_SIZE stepSize, units
    daily_sigma: float  # volatility of log price over one day
    quote_volume_24h: float  # typical 24 h quote volume, USDT
    supply: float  # circulating supply (CoinGecko market cap = supply * price)
    quote: str = QUOTE
    # The coin's own USDT market (one CoinGecko row); false for fiat anchors and crosses.
    coin: bool = True
    usdt_per_quote: float = 1.0  # what one unit of the quote was worth in USDT at the start

    @property
    def symbol(self) -> str:
        return f"{self.base}{self.quote}"


def to_units(text: str) -> int:
    """A decimal string as an integer number of 1e-8 units (exact, truncating extra places)."""
    whole, _, frac = text.partition(".")
    return int(whole or "0") * UNIT + int((frac + "00000000")[:8])


def tick_for(price: int) -> int:
    """Binance-like tick: four to five significant digits, between 1e-8 and 0.01."""
    exponent = math.floor(math.log10(price / UNIT)) - 4
    return max(1, min(UNIT // 100, round(10.0**exponent * UNIT)))


def step_for(price: int) -> int:
    """Binance-like lot step: smaller for dearer assets (BTC 0.00001, SOL 0.001, DOGE 1)."""
    exponent = min(0, -(math.floor(math.log10(price / UNIT)) + 1))
    return max(1, round(10.0**exponent * UNIT))


def _quantize(price: int, tick: int) -> int:
    return max(tick, (price + tick // 2) // tick * tick)


def build_assets(count: int, rng: random.Random) -> list[Asset]:
    """`count` assets: the known ones first (market-cap order), then synthetic ones.

    Starting prices are the table's within +-3 % (seeded), so a fixed seed gives a fixed market.
    """
    if count < 1:
        raise ValueError("at least one symbol")
    assets: list[Asset] = []
    for rank, (base, cg, name, price_text, volume_m) in enumerate(_KNOWN[:count]):
        assets.append(_asset(base, name, cg, price_text, volume_m, rank, rng))
    taken = {a.base for a in assets} | {row[0] for row in _KNOWN}
    while len(assets) < count:
        base, name = _synthetic_name(rng, taken)
        taken.add(base)
        price = f"{math.exp(rng.uniform(math.log(0.0005), math.log(60.0))):.8f}"
        volume_m = math.exp(rng.uniform(math.log(0.3), math.log(8.0)))
        assets.append(_asset(base, name, name.lower(), price, volume_m, len(assets), rng))
    return assets


def known_assets(bases: set[str], rng: random.Random) -> list[Asset]:
    """The table's assets of `bases`, at their table rank (for quotes the count left out)."""
    return [
        _asset(base, name, cg, price, volume_m, rank, rng)
        for rank, (base, cg, name, price, volume_m) in enumerate(_KNOWN)
        if base in bases
    ]


def _asset(
    base: str, name: str, cg: str, price_text: str, volume_m: float, rank: int, rng: random.Random
) -> Asset:
    nominal = to_units(price_text)
    stable = base in ("USDC", "FDUSD")
    jitter = 1.0 if stable else math.exp(rng.uniform(-0.03, 0.03))
    tick = tick_for(nominal)
    price = _quantize(round(nominal * jitter), tick)
    sigma = 0.0004 if stable else (0.025 if rank < 2 else rng.uniform(0.035, 0.08))
    # Market cap falls with rank like the real list (BTC ~1.9e12, rank 100 ~1e9).
    market_cap = 1.9e12 / (1 + rank) ** 1.6
    return Asset(
        base=base,
        name=name,
        coingecko_id=cg or re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        price=price,
        tick=tick,
        step=step_for(price),
        daily_sigma=sigma,
        quote_volume_24h=volume_m * 1e6,
        supply=market_cap / (price / UNIT),
    )


def _synthetic_name(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    while True:
        parts = [rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))]
        name = "".join(parts).capitalize()
        base = name.upper()[: rng.choice((3, 4, 4, 5))]
        if base not in taken and base.isalpha():
            return base, name
