"""CSV downloads that open cleanly in the spreadsheets city staff use."""

import csv
import io
from collections.abc import Iterable


def spreadsheet_safe(value) -> str:
    """Stop a cell from being read as a formula by spreadsheet programs."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_bytes(header: list, rows: Iterable[list]) -> bytes:
    """Semicolons and a byte-order mark, which is what spreadsheets in Catalan and Spanish
    expect; every cell made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(cell) for cell in header])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_download(header: list, rows: Iterable[list], filename: str):
    """A response tuple for a CSV attachment (see `csv_bytes`), never cached."""
    return csv_bytes(header, rows), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    }
