"""Receiving checks (进货验收): a distributor or shop checks a delivery code by code and keeps the record."""
