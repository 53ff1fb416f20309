"""
The admin pages that import volunteers from a spreadsheet: upload, columns, preview.

The file's cells are kept in the organiser's session between the pages and
removed once the import runs or a new file is uploaded. The rules live in
`volunteers.importers`; these views only move between its steps.
"""

import logging

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from matching.ranking import MAX_TRAVEL_RADIUS_MILES

from . import importers
from .models import SkillArea, SkillLevel, WorkMode

logger = logging.getLogger(__name__)

SESSION_KEY = "volunteer_import"
# Problems listed on the preview; the rest are counted.
MAX_LISTED_PROBLEMS = 500
SAMPLE_ROWS = 20


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet",
        help_text=(
            "A CSV or Excel (.xlsx) file with one volunteer a row and headers in the first row, "
            f"up to {importers.MAX_UPLOAD_BYTES // 2**20} MB and {importers.MAX_ROWS:,} rows. "
            "Google Forms responses, NationBuilder and Action Network exports are recognised."
        ),
        error_messages={"required": "Choose a CSV or XLSX file to import."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Checked before reading, so an enormous upload is never read into memory.
        if upload.size > importers.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 2**20:.1f} MB; the largest that can be imported is "
                f"{importers.MAX_UPLOAD_BYTES // 2**20} MB. Split it into smaller files."
            )
        try:
            self.cleaned_data["table"] = importers.read_table(upload.name, upload.read())
        except importers.ImportFileError as error:
            raise forms.ValidationError(str(error)) from error
        return upload


class ColumnsForm(forms.Form):
    """One field choice for each column, then values for what the file does not say."""

    work_mode = forms.ChoiceField(
        label="How they help, when the file does not say",
        choices=WorkMode.choices,
        initial=WorkMode.REMOTE,
    )
    travel_radius_miles = forms.IntegerField(
        label="Travel radius in miles, when the file does not say",
        min_value=1,
        max_value=MAX_TRAVEL_RADIUS_MILES,
        initial=10,
        help_text="Only for people who help in person.",
        error_messages={"invalid": "Enter a whole number of miles, like 10."},
    )
    hours_per_week = forms.IntegerField(
        label="Hours a week, when the file does not say",
        min_value=1,
        max_value=60,
        initial=2,
        error_messages={"invalid": "Enter a whole number of hours, like 2."},
    )
    available_from = forms.DateField(
        label="Available from, when the file does not say",
        required=False,
        help_text="Leave empty for today. For example 1/5/2026.",
        error_messages={"invalid": "Enter a real date, for example 1/5/2026."},
    )
    max_active_matches = forms.IntegerField(
        label="Campaigns at once, when the file does not say",
        min_value=1,
        max_value=5,
        initial=1,
        error_messages={"invalid": "Enter a whole number from 1 to 5."},
    )
    skill_level = forms.TypedChoiceField(
        label="Level of each skill found",
        choices=SkillLevel.choices,
        coerce=int,
        initial=SkillLevel.SOME_EXPERIENCE,
        help_text="Spreadsheets rarely say how experienced people are; volunteers can change it on their profile.",
    )

    def __init__(self, *args, table: importers.Table, guesses: list[importers.ColumnGuess], **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.guesses = guesses
        choices = [(importers.IGNORE, "Don't import"), *[(target.name, target.label) for target in importers.TARGETS]]
        samples = _samples(table)
        self.column_fields = []
        for guess in guesses:
            name = f"column_{guess.index}"
            self.fields[name] = forms.ChoiceField(
                label=f"Column {importers.column_letter(guess.index)}: {guess.header or '(no header)'}",
                choices=choices,
                required=False,
                initial=guess.target,
                help_text=" ".join(part for part in (guess.note, samples[guess.index]) if part),
            )
            self.column_fields.append(name)

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name, "") for name in self.column_fields]

    def defaults(self) -> importers.Defaults:
        data = self.cleaned_data
        return importers.Defaults(
            work_mode=data["work_mode"],
            travel_radius_miles=data["travel_radius_miles"],
            hours_per_week=data["hours_per_week"],
            available_from=data["available_from"],
            max_active_matches=data["max_active_matches"],
            skill_level=data["skill_level"],
        )

    def clean(self):
        cleaned = super().clean()
        mapping = self.mapping()
        for name, indexes in importers.duplicated_fields(mapping).items():
            first, *later = indexes
            label = importers.TARGETS_BY_NAME[name].label
            for index in later:
                self.add_error(
                    f"column_{index}",
                    f"{label} is already chosen for column {importers.column_letter(first)}. Choose one column for it.",
                )
        for problem in importers.missing_fields(mapping):
            self.add_error(None, problem)
        return cleaned


def _samples(table: importers.Table) -> list[str]:
    """Return up to three example values of each column, for the organiser to recognise it by."""
    samples = []
    for index in range(len(table.headers)):
        values = []
        for _number, cells in table.rows:
            if cells[index] and cells[index] not in values:
                values.append(cells[index][:40])
            if len(values) == 3:
                break
        samples.append(("For example: " + "; ".join(values) + ".") if values else "Empty in every row.")
    return samples


def _context(modeladmin, request, title: str, **extra) -> dict:
    return {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        **extra,
    }


def _check_permission(modeladmin, request) -> None:
    if not modeladmin.has_import_permission(request):
        raise PermissionDenied


def upload_view(modeladmin, request):
    _check_permission(modeladmin, request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        table = form.cleaned_data["table"]
        request.session[SESSION_KEY] = {"filename": form.cleaned_data["file"].name[:200], "table": table.to_session()}
        logger.info("User %s uploaded a spreadsheet of %d rows", request.user.pk, len(table.rows))
        return redirect("admin:volunteers_volunteer_import_columns")
    context = _context(modeladmin, request, "Upload the spreadsheet", step=1, form=form)
    return TemplateResponse(request, "admin/volunteers/volunteer/import_upload.html", context)


def _stored(request) -> dict | None:
    stored = request.session.get(SESSION_KEY)
    return stored if stored and "table" in stored else None


def columns_view(modeladmin, request):
    _check_permission(modeladmin, request)
    stored = _stored(request)
    if stored is None:
        messages.warning(request, "Upload the spreadsheet first.")
        return redirect("admin:volunteers_volunteer_import")

    table = importers.Table.from_session(stored["table"])
    guesses = importers.suggest_mapping(table)
    initial = {}
    if "mapping" in stored:
        initial = {f"column_{index}": target for index, target in enumerate(stored["mapping"])}
        initial.update(stored["defaults"])
    form = ColumnsForm(request.POST or None, initial=initial, table=table, guesses=guesses)
    if request.method == "POST" and form.is_valid():
        stored["mapping"] = form.mapping()
        stored["defaults"] = form.defaults().to_session()
        request.session[SESSION_KEY] = stored
        return redirect("admin:volunteers_volunteer_import_preview")

    context = _context(
        modeladmin,
        request,
        "Match the columns",
        step=2,
        form=form,
        filename=stored["filename"],
        encoding=table.encoding,
        row_count=len(table.rows),
        source=importers.detect_source(table.headers),
    )
    return TemplateResponse(request, "admin/volunteers/volunteer/import_columns.html", context)


def preview_view(modeladmin, request):
    _check_permission(modeladmin, request)
    stored = _stored(request)
    if stored is None or "mapping" not in stored:
        messages.warning(request, "Upload the spreadsheet and match its columns first.")
        return redirect("admin:volunteers_volunteer_import")

    table = importers.Table.from_session(stored["table"])
    mapping = stored["mapping"]
    defaults = importers.Defaults.from_session(stored["defaults"])

    if request.method == "POST":
        try:
            result = importers.import_volunteers(
                table=table, mapping=mapping, defaults=defaults, organiser=request.user
            )
        except importers.ImportBlocked as error:
            messages.error(request, str(error))
        else:
            del request.session[SESSION_KEY]
            messages.success(
                request,
                f"Imported {result.created} volunteer(s); {result.skipped} already had an account and were left "
                "as they were. Each new volunteer has been sent an invitation to confirm they would like to join.",
            )
            return redirect(reverse("admin:volunteers_volunteer_changelist") + "?awaiting=yes")

    plan = importers.build_plan(table, mapping, defaults)
    problems = [(row.number, error) for row in plan.errors for error in row.errors]
    context = _context(
        modeladmin,
        request,
        "Check and import",
        step=3,
        plan=plan,
        filename=stored["filename"],
        encoding=table.encoding,
        problems=problems[:MAX_LISTED_PROBLEMS],
        unlisted_problems=max(0, len(problems) - MAX_LISTED_PROBLEMS),
        rows_with_problems=len(plan.errors),
        to_create=[_preview_row(row) for row in plan.to_create[:SAMPLE_ROWS]],
        create_count=len(plan.to_create),
        skipped=plan.skipped,
        mapped=[
            (importers.column_letter(index), table.headers[index], importers.TARGETS_BY_NAME[target].label)
            for index, target in enumerate(mapping)
            if target
        ],
    )
    return TemplateResponse(request, "admin/volunteers/volunteer/import_preview.html", context)


def _preview_row(row: importers.RowResult) -> dict:
    data = row.data
    return {
        "number": row.number,
        "name": data["full_name"],
        "email": row.email,
        "postcode": data["postcode"].postcode,
        "skills": ", ".join(SkillArea(area).label for area in data["skills"]),
        "work_mode": WorkMode(data["work_mode"]).label,
        "travel_radius_miles": data["travel_radius_miles"],
        "hours_per_week": data["hours_per_week"],
        "available_from": data["available_from"],
    }
