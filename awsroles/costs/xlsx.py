"""The report as a spreadsheet (XLSX, with a chart) and as a chart file (PNG or SVG).

XLSX: one row per month and environment with the category columns, numbers as numbers (two
decimals), estimated months marked, and a stacked column chart of cost per environment per
month. ``--chart FILE.png|svg``: the same stacked bars, drawn with matplotlib.

Both are made in memory and written with :func:`~awsroles.fsutil.atomic_write`: never half a
file, and a path that cannot be written is a FileWriteError naming it.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from awsroles.costs.model import Report
from awsroles.errors import UsageError
from awsroles.fsutil import atomic_write


def _environments(report: Report) -> list[str]:
    return list(dict.fromkeys(row.environment for row in report.rows))


def _totals(report: Report) -> dict[tuple[str, str], Decimal]:
    return {(row.month, row.environment): row.total for row in report.rows}


def write_xlsx(report: Report, path: Path) -> Path:
    import xlsxwriter

    path = Path(path)
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    try:
        money = workbook.add_format({"num_format": "#,##0.00"})
        bold = workbook.add_format({"bold": True})
        sheet = workbook.add_worksheet("Costs")
        categories = report.categories
        header = [report.period, "environment", "currency", *categories, "total", "run_rate", "estimated"]
        sheet.write_row(0, 0, header, bold)
        for r, row in enumerate(report.rows, start=1):
            sheet.write_string(r, 0, row.month)
            sheet.write_string(r, 1, row.environment)
            sheet.write_string(r, 2, report.currency)
            for c, category in enumerate(categories, start=3):
                sheet.write_number(r, c, float(row.amounts.get(category, Decimal("0"))), money)
            sheet.write_number(r, 3 + len(categories), float(row.total), money)
            sheet.write_number(r, 4 + len(categories), float(row.run_rate), money)
            sheet.write_string(r, 5 + len(categories), "estimated" if row.estimated else "")
        sheet.set_column(0, 1, 14)
        sheet.set_column(3, 4 + len(categories), 12)
        sheet.freeze_panes(1, 0)

        # The chart reads a small pivot: months down, environments across.
        pivot = workbook.add_worksheet("By environment")
        environments = _environments(report)
        totals = _totals(report)
        pivot.write_row(0, 0, [report.period, *environments], bold)
        for r, month in enumerate(report.months, start=1):
            pivot.write_string(r, 0, month)
            for c, environment in enumerate(environments, start=1):
                pivot.write_number(r, c, float(totals.get((month, environment), Decimal("0"))), money)
        chart = workbook.add_chart({"type": "column", "subtype": "stacked"})
        for c in range(1, len(environments) + 1):
            chart.add_series({
                "name": ["By environment", 0, c],
                "categories": ["By environment", 1, 0, len(report.months), 0],
                "values": ["By environment", 1, c, len(report.months), c],
            })
        chart.set_title({"name": f"{report.view} cost per environment ({report.metric}, {report.currency})"})
        chart.set_y_axis({"num_format": "#,##0"})
        pivot.insert_chart(1, len(environments) + 2, chart, {"x_scale": 1.5, "y_scale": 1.3})
    finally:
        workbook.close()
    atomic_write(path, buffer.getvalue())
    return path


def write_chart(report: Report, path: Path) -> Path:
    """Stacked bars of cost per environment per month, as PNG or SVG (by the file's suffix)."""
    path = Path(path)
    if path.suffix.lower() not in (".png", ".svg"):
        raise UsageError(f"--chart: {path.name}: use a .png or .svg file")
    try:
        import matplotlib
    except ImportError:
        raise UsageError("--chart draws with matplotlib, which is not installed: "
                         "pip install 'awsroles[charts]'") from None

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "awsroles"  # fixed element ids: the same report, the same bytes
    import matplotlib.pyplot as plt

    environments = _environments(report)
    totals = _totals(report)
    months = list(report.months)
    figure, axes = plt.subplots(figsize=(max(6.0, 0.7 * len(months) + 3), 4.5))
    bottoms = [0.0] * len(months)
    for environment in environments:
        values = [float(totals.get((m, environment), Decimal("0"))) for m in months]
        axes.bar(months, values, bottom=bottoms, label=environment)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.set_title(f"{report.view.capitalize()} cost per environment ({report.metric}, {report.currency})")
    axes.set_ylabel(report.currency)
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(fontsize="small", frameon=False)
    figure.tight_layout()
    kind = path.suffix.lower().lstrip(".")
    # No timestamp in the file: the same report gives the same bytes.
    buffer = io.BytesIO()
    figure.savefig(buffer, format=kind, metadata={"Date": None} if kind == "svg" else {"Software": None})
    plt.close(figure)
    atomic_write(path, buffer.getvalue())
    return path
