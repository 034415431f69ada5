"""``python -m jianguan.cli`` runs the ``jianguan`` command."""

from jianguan.cli.main import cli

cli()
