"""Verification (查验): the verdict on a code, on every channel, and the query log."""
