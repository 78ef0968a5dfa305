"""`cryptotracker bench`: load generator, references (floor, raw websockets) and scenarios that
measure ingest, fan-out, latency and memory of the tracker on this machine."""
