"""Unit tests of the early-warning rules."""
