"""The ``jianguan`` command."""
