"""Between exchange and clients: batching, the latest-price store and the pub/sub bus."""
