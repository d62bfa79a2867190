"""Charts drawn on the server as SVG: no JavaScript, no third-party library.

Each chart is an image with a title and a description (role="img", aria-labelledby); the
page shows the same numbers in a table beside it, which is what screen readers use.
"""

from dataclasses import dataclass

from markupsafe import Markup

LABEL_WIDTH = 190
BAR_AREA = 300
ROW_HEIGHT = 30
COLUMN_WIDTH = 60
COLUMN_AREA = 180


@dataclass(frozen=True)
class Datum:
    label: str
    value: float
    shown: str  # the value as the page writes it


def _frame(chart_id: str, title: str, description: str, width: int, height: int,
           body: list[Markup]) -> Markup:
    return Markup(
        '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{description}</desc>'
        '{body}</svg>'
    ).format(id=chart_id, width=width, height=height, title=title, description=description,
             body=Markup("").join(body))


def bar_chart(chart_id: str, title: str, description: str, data: list[Datum]) -> Markup:
    """Horizontal bars, one row per datum, the value written after each bar."""
    top = max((d.value for d in data), default=0) or 1
    body = []
    for row, datum in enumerate(data):
        y = row * ROW_HEIGHT
        length = round(datum.value / top * BAR_AREA, 1)
        body.append(Markup(
            '<text class="chart-label" x="{label_x}" y="{text_y}" text-anchor="end">{label}'
            '</text><rect class="chart-bar" x="{bar_x}" y="{bar_y}" width="{length}" '
            'height="{height}"></rect>'
            '<text class="chart-value" x="{value_x}" y="{text_y}">{shown}</text>'
        ).format(label_x=LABEL_WIDTH - 8, text_y=y + 20, label=datum.label, bar_x=LABEL_WIDTH,
                 bar_y=y + 6, length=length, height=ROW_HEIGHT - 10,
                 value_x=LABEL_WIDTH + length + 6, shown=datum.shown))
    width = LABEL_WIDTH + BAR_AREA + 70
    return _frame(chart_id, title, description, width, max(1, len(data)) * ROW_HEIGHT + 4,
                  body)


def column_chart(chart_id: str, title: str, description: str, data: list[Datum]) -> Markup:
    """Vertical columns in time order, the value above each column, the label below."""
    top = max((d.value for d in data), default=0) or 1
    baseline = COLUMN_AREA + 20
    body = [Markup('<line class="chart-axis" x1="0" y1="{y}" x2="{x}" y2="{y}"></line>')
            .format(y=baseline, x=len(data) * COLUMN_WIDTH)]
    for index, datum in enumerate(data):
        x = index * COLUMN_WIDTH
        height = round(datum.value / top * COLUMN_AREA, 1)
        y = baseline - height
        body.append(Markup(
            '<rect class="chart-bar" x="{bar_x}" y="{y}" width="{width}" height="{height}">'
            '</rect><text class="chart-value" x="{middle}" y="{value_y}" '
            'text-anchor="middle">{shown}</text><text class="chart-label" x="{middle}" '
            'y="{label_y}" text-anchor="middle">{label}</text>'
        ).format(bar_x=x + 6, y=y, width=COLUMN_WIDTH - 12, height=height,
                 middle=x + COLUMN_WIDTH / 2, value_y=y - 4, shown=datum.shown,
                 label_y=baseline + 18, label=datum.label))
    return _frame(chart_id, title, description, max(1, len(data)) * COLUMN_WIDTH,
                  COLUMN_AREA + 46, body)
