"""Jianguan (监管): an open product-quality electronic supervision network."""

__version__ = "0.1.0"
