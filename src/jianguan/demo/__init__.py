"""The demo network that ``make demo`` serves."""
