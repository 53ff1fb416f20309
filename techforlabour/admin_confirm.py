"""
A confirmation page between choosing a bulk admin action and running it.

An action first returns the page, which lists what will happen to each selected
row. The organiser's "Yes" posts the same action back with `confirmed=yes`, and
only then does the action call its service.
"""

from dataclasses import dataclass

from django.contrib.admin import helpers
from django.template.response import TemplateResponse

CONFIRM_FIELD = "confirmed"
# Rows listed on the page; the rest are counted, so "select all 5,000" still renders quickly.
MAX_LISTED = 200


@dataclass(frozen=True)
class Step:
    """One line of the confirmation page: a row and what the action will do to it."""

    description: str
    will_happen: bool = True


def is_confirmed(request) -> bool:
    return request.POST.get(CONFIRM_FIELD) == "yes"


def confirmation_page(
    modeladmin,
    request,
    queryset,
    *,
    title: str,
    steps: list,
    button: str,
    blocked: str = "",
) -> TemplateResponse:
    """Render the page that lists `steps` and asks the organiser to confirm the current action.

    `steps` holds objects with `description` and `will_happen`. When `blocked`
    names a reason, the page shows it and offers no button.
    """
    opts = modeladmin.model._meta
    select_across = request.POST.get("select_across") == "1"
    will_happen = sum(1 for step in steps if step.will_happen)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "steps": steps[:MAX_LISTED],
        "unlisted": max(0, len(steps) - MAX_LISTED),
        "will_happen": will_happen,
        "will_not_happen": len(steps) - will_happen,
        "blocked": blocked,
        "button": button,
        "action": request.POST.get("action", ""),
        "select_across": select_across,
        "selected_ids": _selected_ids(queryset, select_across),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_field": CONFIRM_FIELD,
    }
    return TemplateResponse(request, "admin/confirm_action.html", context)


def _selected_ids(queryset, select_across: bool) -> list[str]:
    # With "select all", the changelist's filters (kept in the page's address) choose the
    # rows again. One id is still sent, because Django runs a confirmed action only when
    # the form carries at least one. Sending every id could pass Django's limit of 1,000
    # fields in a form (DATA_UPLOAD_MAX_NUMBER_FIELDS).
    ids = queryset.values_list("pk", flat=True)
    return [str(pk) for pk in (ids[:1] if select_across else ids)]
