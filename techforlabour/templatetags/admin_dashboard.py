"""Template tags that put the organisers' dashboard and its charts on the admin index page."""

from django import template

from techforlabour import charts
from techforlabour.dashboard import URGENCY_BUCKETS, build_dashboard

register = template.Library()

# The urgency buckets drawn in red when they hold open requests.
URGENT_LABELS = [label for label, first, last in URGENCY_BUCKETS if last is not None and last <= 7]


@register.simple_tag(takes_context=True)
def admin_dashboard(context):
    """Return the dashboard sections that the signed-in user may see."""
    return build_dashboard(context["request"].user)


@register.simple_tag
def column_chart(chart_id, title, columns, unit=""):
    return charts.column_chart(chart_id, title, columns, unit=unit)


@register.simple_tag
def bar_chart(chart_id, title, rows, urgent=False):
    return charts.bar_chart(chart_id, title, rows, alert_labels=URGENT_LABELS if urgent else ())


@register.simple_tag
def progress_bar(chart_id, title, value, goal):
    return charts.progress_bar(chart_id, title, value, goal)
