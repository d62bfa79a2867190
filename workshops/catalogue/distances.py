"""Distances as residents read them, in the page's language: "650 m", "1,2 km"."""

from flask_babel import format_decimal


def distance_label(metres: float) -> str:
    if metres < 950:
        return f"{format_decimal(max(10, round(metres, -1)), '#,##0')} m"
    kilometres = metres / 1000
    pattern = "#,##0.0" if kilometres < 10 else "#,##0"
    return f"{format_decimal(kilometres, pattern)} km"
