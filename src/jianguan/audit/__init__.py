"""The audit log: every state change, append-only and hash-chained."""
