import { Suspense, useEffect } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { Route, Switch, useLocation } from "wouter";
import { ConnectionBar } from "../components/ConnectionBar";
import { Header } from "../components/Header";
import { OutageBanner } from "../components/OutageBanner";
import { RouteBoundary } from "../components/RouteBoundary";
import { SourceBanner } from "../components/SourceBanner";
import { Toasts } from "../components/Toasts";
import { UpdatePrompt } from "../components/UpdatePrompt";
import { useAlertsEngine } from "../hooks/useAlertsEngine";
import { useClockDriver } from "../hooks/useClock";
import { useLastPrices } from "../hooks/useLastPrices";
import { useMarketConnection } from "../hooks/useMarketConnection";
import { useMarketMeta } from "../hooks/useMarketMeta";
import { useThemeDriver } from "../hooks/useTheme";
import { retryableLazy } from "../lib/chunks";
import { markInteractive } from "../lib/telemetry";
import { MarketsPage } from "../pages/MarketsPage";
import { WatchlistPage } from "../pages/WatchlistPage";
import { useCryptoStore } from "../store/cryptoStore";

// The chart library is the biggest dependency: only the symbol page loads it.
const SymbolPage = retryableLazy(() => import("../pages/SymbolPage"));
// Not needed for the first paint of the markets page: loaded when visited.
const PortfolioPage = retryableLazy(async () => ({
  default: (await import("../pages/PortfolioPage")).PortfolioPage,
}));
const AlertsPage = retryableLazy(async () => ({
  default: (await import("../pages/AlertsPage")).AlertsPage,
}));

function useInteractiveMark(): void {
  useEffect(
    () =>
      useCryptoStore.subscribe((s) => {
        if (s.lastMessageAt !== null) markInteractive();
      }),
    [],
  );
}

// The page's one cache of HTTP reads; each query states its own retry and staleness.
const queryClient = new QueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <Shell />
    </QueryClientProvider>
  );
}

function Shell() {
  useMarketConnection();
  useMarketMeta();
  useLastPrices();
  useClockDriver(250);
  useThemeDriver();
  useAlertsEngine();
  useInteractiveMark();
  const [location] = useLocation();

  return (
    <div className="flex h-dvh flex-col">
      <Header />
      <ConnectionBar />
      <SourceBanner />
      <OutageBanner />
      <main className="flex min-h-0 flex-1 flex-col overflow-y-auto">
        <RouteBoundary resetKey={location}>
          <Suspense fallback={<div className="p-8 text-center text-sm text-muted">Loading…</div>}>
            <Switch>
              <Route path="/" component={MarketsPage} />
              <Route path="/markets/:symbol">
                {(params) => <SymbolPage symbol={params.symbol} />}
              </Route>
              <Route path="/watchlist" component={WatchlistPage} />
              <Route path="/portfolio" component={PortfolioPage} />
              <Route path="/alerts" component={AlertsPage} />
              <Route>
                <div className="p-8 text-center text-muted">Page not found.</div>
              </Route>
            </Switch>
          </Suspense>
        </RouteBoundary>
      </main>
      <Toasts />
      <UpdatePrompt />
    </div>
  );
}
