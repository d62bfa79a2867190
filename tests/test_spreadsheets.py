"""CSV downloads: no cell is a formula, whichever separator a program splits the file on."""

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from workshops.spreadsheets import csv_bytes, spreadsheet_safe

SEPARATORS = (";", ",", "\t", "|")
FORMULA = ("=", "+", "-", "@")


def rows_read_with(body: bytes, separator: str) -> list[list[str]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=separator))


def starts_a_formula(cell: str) -> bool:
    """Whether `cell` starts with = + - @ or a tab, or does once a reader trims the spaces,
    line breaks and double quotes before its first character.

    A cell may start with a line break: a program that splits on another separator than
    ours can find itself inside our quotes at the end of a row, so our CRLF begins one of its
    cells; what follows the CRLF is the start of our next row.
    """
    return cell.startswith((*FORMULA, "\t")) or cell.lstrip(' "' + "\t\r\n\u00a0\u3000"
                                                              ).startswith(FORMULA)


def cells_starting_a_formula(body: bytes) -> list[tuple[str, str]]:
    """(separator, cell) for each cell that starts a formula when `body` is split on any of
    the separators programs use."""
    return [(separator, cell) for separator in SEPARATORS
            for row in rows_read_with(body, separator) for cell in row
            if starts_a_formula(cell)]


NASTY_CHARACTERS = st.sampled_from(list(",;\t|\r\n=+-@\"' a1\u00a0"))
CELLS = st.one_of(st.text(), st.text(NASTY_CHARACTERS), st.integers(),
                  st.floats(allow_nan=False, allow_infinity=False), st.none())


@given(st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=5))
@settings(max_examples=300, deadline=None)
def test_no_cell_starts_a_formula_whatever_separator_the_file_is_split_on(rows):
    assert cells_starting_a_formula(csv_bytes(rows[0], rows[1:])) == []


@given(st.lists(CELLS, min_size=1, max_size=6))
def test_split_on_semicolons_a_file_gives_back_each_cell_with_only_apostrophes_added(row):
    (read,) = rows_read_with(csv_bytes(row, []), ";")

    def apart_from_apostrophes(value) -> str:
        text = "" if value is None else str(value)
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("'", "")

    assert [apart_from_apostrophes(cell) for cell in read] == [
        apart_from_apostrophes(cell) for cell in row]


def test_a_formula_after_a_comma_is_text_when_the_file_is_split_on_commas():
    body = csv_bytes(["Phone", "Name"], [["612 34 56 78", "Pau,=HYPERLINK(1)"]])

    assert rows_read_with(body, ";")[1] == ["612 34 56 78", "Pau,'=HYPERLINK(1)"]
    assert rows_read_with(body, ",")[1] == ['612 34 56 78;"Pau', "'=HYPERLINK(1)\""]
    assert cells_starting_a_formula(body) == []


def test_a_formula_on_a_new_line_inside_a_cell_is_text():
    assert spreadsheet_safe("Pau\r\n@SUM(1+1)") == "Pau\n'@SUM(1+1)"


def test_every_field_is_quoted_and_counts_and_decimals_stay_plain_numbers():
    body = csv_bytes(["Registrations", "Rate"], [[12, "63,6"], [0, "7.5"]])

    assert body.decode("utf-8") == (
        '\ufeff"Registrations";"Rate"\r\n"12";"63,6"\r\n"0";"7.5"\r\n')


def test_dates_times_and_hyphenated_words_keep_their_hyphens_untouched():
    for text in ("2026-05-04", "09:00-11:00", "Sant Martí de Provençals", "e-mail"):
        assert spreadsheet_safe(text) == text
