"""Outgoing messages (SMS): the outbox, the gateways that send it, and the webhook replay guard."""
