"""CSV downloads that open cleanly, and safely, in the spreadsheets city staff use.

A cell that a spreadsheet reads as a formula can run commands or send data away (CSV
injection). Nobody knows which program will open a file, nor which character it will split
cells on: Excel in Catalan and Spanish splits on ";" (ours), others on ",", tab or "|". Once
a program splits on another character than ours, our quotes stop protecting anything, and the
middle of one of our cells becomes the start of one of its cells. So every field is quoted
(for programs that split as we do), and wherever a cell may start for any program (the start
of ours, or right after a character some program splits cells or rows on) a character that
starts a formula gets an apostrophe before it.

Numbers stay numbers: quoted fields are still read as numbers by Excel and LibreOffice, and
a number without a sign starts with no such character. A negative one would get the
apostrophe too (no export has any today): under another separator it is the start of a
longer cell, "-3;…", which is not a number any more.
"""

import csv
import io
import re
from collections.abc import Iterable

# Where a cell may start, then what a reader may drop before its first character (spaces and
# double quotes), then a character that starts a formula (= + - @) or is trimmed before one.
_FORMULA_START = re.compile(r'(?:^|(?<=[,;\t|\n]))(?:[^\S\t\n]|")*(?=[=+\-@\t\n])')
_LINE_BREAK = re.compile(r"\r\n?")


def spreadsheet_safe(value) -> str:
    """`value` as text no spreadsheet reads as a formula, whatever separator it splits on.

    Line breaks become LF, which is what spreadsheets keep inside a cell.
    """
    text = _LINE_BREAK.sub("\n", "" if value is None else str(value))
    return _FORMULA_START.sub(r"\g<0>'", text)


def csv_bytes(header: list, rows: Iterable[list]) -> bytes:
    """Semicolons and a byte-order mark, which is what spreadsheets in Catalan and Spanish
    expect; every field quoted and made formula-safe (see the module's doc)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
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
