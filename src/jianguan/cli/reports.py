"""The monthly report and the scheduled jobs on the command line: ``jianguan reports monthly`` and
``jianguan jobs run``. Registered on ``cli.main``'s group (which imports this module last)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from jianguan.cli.main import _operator_principal, _sessions, cli, domain_errors


@cli.group()
def reports() -> None:
    """The monthly report (信息通报)."""


@reports.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM (one that has ended).")
@click.option("--region", default=None, help="The region code (default: the whole country).")
@click.option("--format", "form", type=click.Choice(["xlsx", "csv", "pdf"]), default="xlsx", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="The language of the CSV and XLSX headings.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
@domain_errors
def reports_monthly(month: str, region: str | None, form: str, lang: str, out: Path) -> None:
    """Write the report of MONTH for REGION: a total row and a row for each region under it."""
    from jianguan.reports.monthly import monthly_report, parse_month
    from jianguan.reports.render import render
    from jianguan.storage import reading

    with reading(_sessions()) as session:
        report = monthly_report(session, principal=_operator_principal(), month=parse_month(month),
                                region_code=region)
    data = render(report, form, lang)
    out.write_bytes(data)
    click.echo(json.dumps({"month": str(report.month), "region": report.region_code or None, "format": form,
                           "rows": len(report.rows), "bytes": len(data), "out": str(out)}, ensure_ascii=False))


@cli.group()
def jobs() -> None:
    """The scheduled work (run it from cron or a systemd timer)."""


@jobs.command("run")
@domain_errors
def jobs_run() -> None:
    """Roll the statistics up and send last month's report to every address set (from the 1st on);
    safe to run twice and on several machines at once."""
    from jianguan.cli.main import _settings
    from jianguan.reports.jobs import run_jobs

    click.echo(json.dumps(run_jobs(_sessions(), _settings()), ensure_ascii=False))
