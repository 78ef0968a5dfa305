"""pytest fixtures that run the market simulator (filled in with the simulator)."""
