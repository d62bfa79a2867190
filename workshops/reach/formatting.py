"""Figures as the reach page writes them."""

from flask_babel import format_decimal, format_number, format_percent

from workshops.reach.figures import DECIMAL, PERCENT, Figure


def percent(value: float | None) -> str:
    return "—" if value is None else format_percent(value, "#,##0.0%")


def decimal(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, "#,##0.0")


def shown(figure: Figure, value) -> str:
    """A figure's value as the dashboard's tables write it."""
    if figure.shown_as == PERCENT:
        return percent(value)
    if figure.shown_as == DECIMAL:
        return decimal(value)
    return format_number(value)
