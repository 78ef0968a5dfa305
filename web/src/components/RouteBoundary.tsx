import { Component, type ErrorInfo, type ReactNode } from "react";
import {
  checkDeployment,
  isChunkLoadError,
  retryFailedChunks,
  type Deployment,
} from "../lib/chunks";

interface Props {
  /** The location: a new one clears the error, so navigating away from a broken page works. */
  resetKey: string;
  children: ReactNode;
  /** Injected by tests; the server's index.html otherwise. */
  check?: () => Promise<Deployment>;
}

interface State {
  error: unknown;
  /** null while the server is being asked which build it has. */
  deployment: Deployment | null;
}

/**
 * Catches a page that failed to load or render, says why, and offers what can help: Retry (loads
 * the chunk again) while this build is still served, Reload once a new one is deployed.
 */
export class RouteBoundary extends Component<Props, State> {
  override state: State = { error: null, deployment: null };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error, deployment: null };
  }

  override componentDidUpdate(prev: Props): void {
    if (prev.resetKey !== this.props.resetKey && this.state.error !== null) this.retry();
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.error("page failed", error, info.componentStack);
    const check = this.props.check ?? checkDeployment;
    void check().then((deployment) => {
      if (this.state.error === error) this.setState({ deployment });
    });
  }

  private retry = (): void => {
    retryFailedChunks();
    this.setState({ error: null, deployment: null });
  };

  override render(): ReactNode {
    const { error, deployment } = this.state;
    if (error === null) return this.props.children;
    const chunk = isChunkLoadError(error);
    const changed = deployment === "changed";
    const message = changed
      ? "A new version of Crypto Tracker is available. Reload to use it."
      : deployment === "unreachable"
        ? "This page could not be loaded: the server is not reachable. Retry once it is back."
        : chunk
          ? "This page could not be loaded."
          : "Something went wrong on this page.";
    return (
      <div
        role="alert"
        data-testid="route-error"
        data-deployment={deployment ?? "checking"}
        className="mx-auto flex max-w-md flex-col items-center gap-3 p-8 text-center"
      >
        <p className="text-sm">{message}</p>
        <div className="flex gap-2">
          {!changed && (
            <button
              type="button"
              data-testid="route-retry"
              onClick={this.retry}
              className="h-9 rounded-md bg-brand px-4 text-sm font-medium text-black hover:opacity-90"
            >
              Retry
            </button>
          )}
          <button
            type="button"
            data-testid="route-reload"
            onClick={() => window.location.reload()}
            className={`h-9 rounded-md px-4 text-sm font-medium ${
              changed
                ? "bg-brand text-black hover:opacity-90"
                : "border border-line text-muted hover:text-fg"
            }`}
          >
            Reload
          </button>
        </div>
      </div>
    );
  }
}
