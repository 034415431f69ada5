"""Designated printers (定点印刷企业)."""
