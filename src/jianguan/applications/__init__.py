"""Joining online (网上申请入网): enterprises apply, the responsible agency reviews and signs them."""
