/** The currency the portfolio is valued in: every money label reads it from here, so a currency
 * setting later changes one place. Prices are the quote currency of the markets held (USDT). */
export const PORTFOLIO_CURRENCY = "USDT";
