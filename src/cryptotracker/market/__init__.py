"""Exchange side: one module per market-data source, turning their frames into wire-shaped dicts."""
