"""Alerts for the regulators and the operator: things the network noticed that a person should see."""
