"""Codes of other schemes an enterprise already prints (GS1 SGTIN serials, drug supervision codes), registered to verify here."""
