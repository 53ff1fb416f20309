"""
Charts drawn on the server as inline SVG, for the admin dashboard.

Nothing is loaded from another site and no script runs. Colours come from
presentation attributes and CSS classes, never a style attribute, which the
Content Security Policy would block. Each chart has a <title> that screen
readers announce, and every bar has its own <title> with the exact figure, so
a chart never contains information that is missing from its text.
"""

from collections.abc import Sequence

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

BAR_COLOUR = "#417690"
ALERT_COLOUR = "#ba2121"
TRACK_COLOUR = "#e6e6e6"
TEXT_COLOUR = "#333333"


def _svg(chart_id: str, title: str, width: int, height: int, body: list[str]) -> SafeString:
    opening = format_html(
        '<svg class="dashboard-chart" role="img" aria-labelledby="{}-title" viewBox="0 0 {} {}" '
        'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{}-title">{}</title>',
        chart_id,
        width,
        height,
        chart_id,
        title,
    )
    # Safe because every part was built by format_html, which escapes each value.
    return mark_safe(opening + "".join(body) + "</svg>")


def column_chart(chart_id: str, title: str, columns: Sequence, *, unit: str = "") -> SafeString:
    """Draw vertical columns, one per item with `label` and `value`, such as signups per week."""
    width, height = 600, 220
    top, bottom, left = 20, 40, 8
    plot_height = height - top - bottom
    slot = (width - left) / max(len(columns), 1)
    highest = max((item.value for item in columns), default=0) or 1

    body = []
    for number, item in enumerate(columns):
        bar_height = round(plot_height * item.value / highest, 1)
        x = round(left + number * slot + slot * 0.15, 1)
        y = round(top + plot_height - bar_height, 1)
        body.append(
            format_html(
                '<g><title>{}: {}{}</title><rect class="chart-bar" x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" text-anchor="middle" font-size="12" fill="{}">{}</text>'
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text></g>',
                item.label,
                item.value,
                unit,
                x,
                y,
                round(slot * 0.7, 1),
                bar_height,
                BAR_COLOUR,
                round(x + slot * 0.35, 1),
                max(y - 4, 12),
                TEXT_COLOUR,
                item.value,
                round(x + slot * 0.35, 1),
                height - bottom + 16,
                TEXT_COLOUR,
                item.label,
            )
        )
    return _svg(chart_id, title, width, height, body)


def bar_chart(chart_id: str, title: str, rows: Sequence, *, alert_labels: Sequence[str] = ()) -> SafeString:
    """Draw horizontal bars, one per item with `label` and `value`; labels in `alert_labels` are drawn in red."""
    label_width, bar_width, row_height = 250, 290, 26
    width = label_width + bar_width + 60
    height = max(row_height * len(rows), row_height)
    highest = max((item.value for item in rows), default=0) or 1

    body = []
    for number, item in enumerate(rows):
        y = number * row_height
        length = round(bar_width * item.value / highest, 1)
        alert = item.label in alert_labels and item.value
        colour = ALERT_COLOUR if alert else BAR_COLOUR
        css_class = "chart-bar chart-bar-alert" if alert else "chart-bar"
        body.append(
            format_html(
                "<g><title>{}: {}</title>"
                '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>'
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
                '<text x="{}" y="{}" font-size="12" fill="{}">{}</text></g>',
                item.label,
                item.value,
                label_width - 8,
                y + 17,
                TEXT_COLOUR,
                _shorten(item.label, 36),
                css_class,
                label_width,
                y + 5,
                length,
                row_height - 10,
                colour,
                label_width + length + 6,
                y + 17,
                TEXT_COLOUR,
                item.value,
            )
        )
    return _svg(chart_id, title, width, height, body)


def progress_bar(chart_id: str, title: str, value: int, goal: int) -> SafeString:
    """Draw how far `value` has come towards `goal`, full at the goal or beyond."""
    width, height = 600, 28
    share = min(value / goal, 1) if goal else 1
    body = [
        format_html(
            '<rect x="0" y="4" width="{}" height="20" rx="4" fill="{}"/>'
            '<rect class="chart-bar" x="0" y="4" width="{}" height="20" rx="4" fill="{}"/>',
            width,
            TRACK_COLOUR,
            round(width * share, 1),
            BAR_COLOUR,
        )
    ]
    return _svg(chart_id, title, width, height, body)


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
