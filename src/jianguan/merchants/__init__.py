"""Distributors and shops (经销商 / 商业企业)."""
