"""Socket.IO server: connections, rooms, subscriptions, validation and fan-out of batches."""
