"""Importing volunteers from spreadsheets: reading messy files, matching columns, checking rows, importing."""

import io
import re
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook

from accounts.models import Consent, User
from accounts.tests.helpers import sign_in_organiser
from candidates.tests.factories import HelpRequestFactory
from matching.ranking import top_volunteers
from volunteers import importers
from volunteers.importers import Defaults, ImportBlocked, ImportFileError, Table
from volunteers.models import DataTransfer, Volunteer
from volunteers.tests.factories import UserFactory, VolunteerFactory

GOOGLE_FORMS_HEADERS = [
    "Timestamp",
    "Email Address",
    "What's your full name?",
    "What's your postcode?",
    "Which skills can you offer?",
    "Can you help remotely?",
    "Can you help in person?",
    "How many hours a week can you give?",
    "Phone number",
]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    lines = [delimiter.join(_quote(cell, delimiter) for cell in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _quote(cell: str, delimiter: str) -> str:
    if delimiter in cell or '"' in cell or "\n" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def google_row(email="jane@example.org", name="Jane Doe", postcode="B1 1AY", skills="Video", **answers) -> list[str]:
    return [
        "01/12/2026 19:04:11",
        email,
        name,
        postcode,
        skills,
        answers.get("remote", "Yes"),
        answers.get("in_person", "No"),
        answers.get("hours", "4"),
        answers.get("phone", "7700900123"),
    ]


def plan_for(content: bytes, filename="responses.csv", defaults=None):
    table = importers.read_table(filename, content)
    mapping = [guess.target for guess in importers.suggest_mapping(table)]
    return table, mapping, importers.build_plan(table, mapping, defaults or Defaults())


# Reading files


def test_read_utf8_with_byte_order_mark():
    content = b"\xef\xbb\xbf" + csv_bytes([["Email", "Name"], ["a@example.org", "Siobhán O'Neill-Ní Bhriain"]])
    table = importers.read_table("people.csv", content)
    assert table.headers == ["Email", "Name"]
    assert table.rows == [(2, ["a@example.org", "Siobhán O'Neill-Ní Bhriain"])]
    assert table.encoding == "UTF-8 with a byte-order mark"


def test_read_windows_1252():
    content = csv_bytes([["Email", "Name"], ["a@example.org", "Siobhán Ó Briain"]], encoding="cp1252")
    table = importers.read_table("people.csv", content)
    assert table.rows[0][1][1] == "Siobhán Ó Briain"
    assert table.encoding == "Windows-1252"


def test_read_utf16_tab_separated():
    text = "Email\tName\r\na@example.org\t张伟\r\n"
    table = importers.read_table("people.txt", text.encode("utf-16"))
    assert table.headers == ["Email", "Name"]
    assert table.rows[0][1] == ["a@example.org", "张伟"]


def test_read_semicolon_separated():
    table = importers.read_table("people.csv", csv_bytes([["Email", "Name"], ["a@example.org", "Ann"]], delimiter=";"))
    assert table.headers == ["Email", "Name"]
    assert table.rows[0][1] == ["a@example.org", "Ann"]


def test_undecodable_bytes_are_reported():
    # 0x81 has no meaning in Windows-1252, and the whole file is not UTF-8 either.
    with pytest.raises(ImportFileError, match="not valid Windows-1252"):
        importers.read_table("people.csv", b"Email,Name\r\na@example.org,Ann\x81\xe9\r\n")


def test_old_excel_format_is_refused_with_advice():
    with pytest.raises(ImportFileError, match="xlsx"):
        importers.read_table("people.xls", b"\xd0\xcf\x11\xe0rest of an old workbook")


def test_empty_and_header_only_files_are_refused():
    with pytest.raises(ImportFileError, match="empty"):
        importers.read_table("people.csv", b"")
    with pytest.raises(ImportFileError, match="no volunteers"):
        importers.read_table("people.csv", b"Email,Name\r\n")


def test_too_many_rows_are_refused():
    rows = [["Email"]] + [[f"p{number}@example.org"] for number in range(importers.MAX_ROWS + 1)]
    with pytest.raises(ImportFileError, match="more than 5,000 rows"):
        importers.read_table("people.csv", csv_bytes(rows))


def test_cells_lose_leading_apostrophe_and_spaces():
    table = importers.read_table("people.csv", csv_bytes([["Postcode ", "Name"], ["'B1 1AY", "  Ann\u00a0"]]))
    assert table.headers == ["Postcode", "Name"]
    assert table.rows[0][1] == ["B1 1AY", "Ann"]


def test_blank_rows_keep_spreadsheet_numbering():
    table = importers.read_table("people.csv", csv_bytes([["Email"], ["a@example.org"], [""], ["b@example.org"]]))
    assert [number for number, _cells in table.rows] == [2, 4]


def test_read_xlsx_typed_cells():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Email", "Hours", "Available from", "Remote", "Phone"])
    sheet.append(["a@example.org", 4.0, timezone.datetime(2026, 12, 5), True, 7700900123])
    buffer = io.BytesIO()
    workbook.save(buffer)

    table = importers.read_table("people.xlsx", buffer.getvalue())

    assert table.encoding == "Excel workbook (XLSX)"
    assert table.rows == [(2, ["a@example.org", "4", "2026-12-05", "yes", "7700900123"])]


def test_table_survives_the_session():
    table = importers.read_table("people.csv", csv_bytes([["Email"], ["a@example.org"]]))
    assert Table.from_session(table.to_session()) == table


# Recognising columns


def test_google_forms_columns_are_recognised():
    table = importers.read_table("form.csv", csv_bytes([GOOGLE_FORMS_HEADERS, google_row()]))
    guesses = importers.suggest_mapping(table)
    assert [guess.target for guess in guesses] == [
        "",
        "email",
        "full_name",
        "postcode",
        "skills",
        "remote",
        "in_person",
        "hours_per_week",
        "",
    ]
    assert "phone numbers" in guesses[8].note
    assert importers.detect_source(table.headers) == "a Google Forms responses sheet"


def test_nationbuilder_columns_are_recognised():
    headers = [
        "nationbuilder_id",
        "first_name",
        "middle_name",
        "last_name",
        "billing_zip",
        "email1",
        "email2",
        "point_person_name_or_email",
        "primary_zip",
        "tag_list",
        "mobile_number",
        "email_opt_in",
        "is_supporter",
    ]
    table = importers.read_table("nb.csv", csv_bytes([headers, ["1"] * len(headers)]))
    targets = dict(zip(headers, (guess.target for guess in importers.suggest_mapping(table)), strict=True))
    assert targets["first_name"] == "first_name"
    assert targets["last_name"] == "last_name"
    assert targets["middle_name"] == ""
    assert targets["email1"] == "email"
    assert targets["email2"] == ""
    assert targets["point_person_name_or_email"] == ""
    # The exact primary_zip wins over billing_zip, which comes first in the file.
    assert targets["primary_zip"] == "postcode"
    assert targets["billing_zip"] == ""
    assert targets["tag_list"] == "tags"
    assert targets["mobile_number"] == ""
    assert targets["email_opt_in"] == ""
    assert importers.detect_source(headers) == "a NationBuilder people export"


def test_action_network_columns_are_recognised():
    headers = ["uuid", "first_name", "last_name", "email", "zip_code", "can2_phone", "can2_user_tags"]
    table = importers.read_table("an.csv", csv_bytes([headers, ["x"] * len(headers)]))
    targets = [guess.target for guess in importers.suggest_mapping(table)]
    assert targets == ["", "first_name", "last_name", "email", "postcode", "", "tags"]
    assert importers.detect_source(headers) == "an Action Network export"


def test_duplicated_header_is_mapped_once_with_a_note():
    table = importers.read_table("people.csv", csv_bytes([["Email", "Name", "email "], ["a@x.org", "Ann", "b@x.org"]]))
    guesses = importers.suggest_mapping(table)
    assert [guess.target for guess in guesses] == ["email", "full_name", ""]
    assert "appears more than once; column A is used" in guesses[2].note


def test_mapping_needs_name_email_postcode_and_skills():
    assert importers.missing_fields(["email"]) == [
        "Choose the column with the volunteer's full name, or their first name.",
        "Choose the column with the postcode.",
        "Choose a column with skills or tags: every volunteer needs at least one skill.",
    ]
    assert importers.duplicated_fields(["email", "skills", "email", "skills"]) == {"email": [0, 2]}


# Reading values


@pytest.mark.parametrize("value", ["Yes", "y", "TRUE", "t", "1", "x", "✓", "Ticked"])
def test_true_spellings(value):
    assert importers.parse_bool(value) is True


@pytest.mark.parametrize("value", ["No", "n", "FALSE", "f", "0", "off"])
def test_false_spellings(value):
    assert importers.parse_bool(value) is False


def test_unknown_boolean_is_an_error():
    assert importers.parse_bool(" ") is None
    with pytest.raises(ValueError, match="“maybe” is not yes or no"):
        importers.parse_bool("maybe")


def test_comma_joined_skills_are_split():
    answers = importers.split_answers("Social media and marketing, Data and analytics; Video")
    assert [importers.skill_area_of(answer) for answer in answers] == ["social_media", "data", "video"]
    assert importers.skill_area_of("Engineering: websites and landing pages") == "engineering"
    assert importers.skill_area_of("tech-data") == "data"
    assert importers.skill_area_of("database-2019") is None


def test_garbled_text_is_detected():
    assert importers.looks_garbled("SiobhÃ¡n")
    assert importers.looks_garbled("Ann\ufffd")
    assert not importers.looks_garbled("Siobhán O'Neill-Ní Bhriain")
    assert not importers.looks_garbled("张伟")


def test_uk_dates_are_read_day_first():
    assert importers.parse_date_text("05/01/2027") == "2027-01-05"
    assert importers.parse_date_text("1st May 2027") == "2027-05-01"
    assert importers.parse_date_text("soon") == "soon"


# Checking rows


@pytest.mark.django_db
def test_google_forms_rows_become_volunteers():
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(skills="Video, Data and analytics", in_person="yes")])
    _table, _mapping, plan = plan_for(content)

    assert plan.errors == []
    [row] = plan.to_create
    assert row.number == 2
    assert row.data["full_name"] == "Jane Doe"
    assert row.data["postcode"].postcode == "B1 1AY"
    assert row.data["postcode"].easting == 406523
    assert row.data["skills"] == {"video": 1, "data": 1}
    assert row.data["work_mode"] == "both"
    assert row.data["travel_radius_miles"] == 10
    assert row.data["hours_per_week"] == 4


@pytest.mark.django_db
def test_row_problems_name_row_column_and_value():
    content = csv_bytes(
        [
            GOOGLE_FORMS_HEADERS,
            google_row(email="not-an-email"),
            google_row(email="b@example.org", postcode="12345"),
            google_row(email="c@example.org", skills="Knitting"),
            google_row(email="d@example.org", hours="ten"),
            google_row(email="e@example.org", remote="maybe"),
            google_row(email="f@example.org", name="SiobhÃ¡n"),
            google_row(email="g@example.org", remote="no", in_person="no"),
        ]
    )
    _table, _mapping, plan = plan_for(content)
    problems = {row.number: row.errors for row in plan.errors}

    assert problems[2] == ["Column B (“Email Address”): “not-an-email” is not a valid email address."]
    assert problems[3] == [
        "Column D (“What's your postcode?”): “12345” is not a valid UK postcode. Enter a postcode like B1 1AY."
    ]
    assert len(problems[4]) == 1
    assert "“Knitting” is not a skill the network uses" in problems[4][0]
    assert problems[5] == [
        "Column H (“How many hours a week can you give?”): Enter the hours as a whole number, like 5. "
        "The file has “ten”."
    ]
    assert problems[6] == ["Column F (“Can you help remotely?”): “maybe” is not yes or no."]
    assert "looks garbled" in problems[7][0]
    assert problems[8] == ["How they help: the row says neither in person nor remotely."]
    assert plan.to_create == []


@pytest.mark.django_db
def test_northern_irish_postcode_cannot_help_in_person():
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(postcode="BT1 5GS", remote="no", in_person="yes")])
    _table, _mapping, plan = plan_for(content)
    assert "Northern Ireland" in plan.errors[0].errors[0]


@pytest.mark.django_db
def test_duplicate_emails_in_any_case_within_the_file():
    content = csv_bytes(
        [
            GOOGLE_FORMS_HEADERS,
            google_row(email="Jane.Doe+tfl@Example.COM"),
            google_row(email="JANE.DOE+TFL@example.com"),
        ]
    )
    _table, _mapping, plan = plan_for(content)
    assert [row.number for row in plan.to_create] == [2]
    assert plan.errors[0].number == 3
    assert plan.errors[0].errors == ["Email address: the same address as row 2, in any letter case."]


@pytest.mark.django_db
def test_people_already_registered_in_any_case_are_skipped():
    VolunteerFactory(user=UserFactory(email="jane.doe@example.org"))
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(email="JANE.Doe@Example.org"), google_row(email="new@x.org")])
    _table, _mapping, plan = plan_for(content)
    assert [row.number for row in plan.skipped] == [2]
    assert [row.number for row in plan.to_create] == [3]
    assert plan.errors == []


@pytest.mark.django_db
def test_tags_name_skills_and_other_tags_are_ignored():
    headers = ["first_name", "last_name", "email1", "primary_zip", "tag_list", "mobile_number"]
    content = csv_bytes(
        [headers, ["Ann", "Lee", "ann@example.org", "b1 1ay", "donor, tech-video, member", "7700900123"]]
    )
    _table, _mapping, plan = plan_for(content, filename="nb.csv")
    [row] = plan.to_create
    assert row.data["full_name"] == "Ann Lee"
    assert row.data["postcode"].postcode == "B1 1AY"
    assert row.data["skills"] == {"video": 1}
    assert plan.ignored_tags == ["donor", "member"]


@pytest.mark.django_db
def test_defaults_fill_what_the_file_does_not_say():
    headers = ["Name", "Email", "Postcode", "Skills"]
    content = csv_bytes([headers, ["Ann", "ann@example.org", "B1 1AY", "Data"]])
    start = timezone.localdate() + timedelta(days=3)
    defaults = Defaults(work_mode="in_person", travel_radius_miles=7, hours_per_week=3, available_from=start)
    _table, _mapping, plan = plan_for(content, defaults=defaults)
    data = plan.to_create[0].data
    assert (data["work_mode"], data["travel_radius_miles"], data["hours_per_week"]) == ("in_person", 7, 3)
    assert data["available_from"] == start


# Importing


@pytest.fixture
def importer(db):
    return UserFactory(email="importer@example.org", is_staff=True)


@pytest.mark.django_db
def test_import_creates_volunteers_not_yet_consented(importer, django_capture_on_commit_callbacks):
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(email="Jane@Example.org", name="Siobhán O'Neill-Ní Bhriain")])
    table, mapping, _plan = plan_for(content)

    with django_capture_on_commit_callbacks(execute=True):
        result = importers.import_volunteers(table=table, mapping=mapping, defaults=Defaults(), organiser=importer)

    assert result.created == 1
    volunteer = Volunteer.objects.get(user__email="jane@example.org")
    assert volunteer.full_name == "Siobhán O'Neill-Ní Bhriain"
    assert volunteer.imported_at is not None
    assert volunteer.easting == 406523
    assert not volunteer.user.has_usable_password()
    assert EmailAddress.objects.get(user=volunteer.user).verified is False
    assert not Consent.objects.filter(user=volunteer.user).exists()
    assert DataTransfer.objects.get().row_count == 1
    assert DataTransfer.objects.get().kind == DataTransfer.Kind.VOLUNTEER_IMPORT


@pytest.mark.django_db
def test_imported_volunteer_is_not_suggested_until_confirmed(importer, client, django_capture_on_commit_callbacks):
    help_request = HelpRequestFactory(skill_area="video")
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(email="jane@example.org")])
    table, mapping, _plan = plan_for(content)
    with django_capture_on_commit_callbacks(execute=True):
        importers.import_volunteers(table=table, mapping=mapping, defaults=Defaults(), organiser=importer)

    assert top_volunteers(help_request, limit=10) == []

    [invitation] = mail.outbox
    assert invitation.to == ["jane@example.org"]
    assert "confirm that you would like to join" in invitation.body
    assert "phone" not in invitation.body.lower()
    path = re.search(r"http://testserver(/accounts/confirm-email/[^/\s]+/)", invitation.body).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(path).status_code == 302

    volunteer = Volunteer.objects.get(user__email="jane@example.org")
    assert [found.pk for found in top_volunteers(help_request, limit=10)] == [volunteer.pk]


@pytest.mark.django_db
def test_import_is_all_or_nothing(importer):
    content = csv_bytes(
        [GOOGLE_FORMS_HEADERS, google_row(email="a@example.org"), google_row(email="b@example.org", postcode="")]
    )
    table, mapping, _plan = plan_for(content)

    with pytest.raises(ImportBlocked, match="1 row"):
        importers.import_volunteers(table=table, mapping=mapping, defaults=Defaults(), organiser=importer)

    assert not Volunteer.objects.exists()
    assert not User.objects.filter(email="a@example.org").exists()
    assert not DataTransfer.objects.exists()


@pytest.mark.django_db
def test_import_refuses_unmatched_columns(importer):
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row()])
    table = importers.read_table("form.csv", content)
    with pytest.raises(ImportBlocked, match="columns are not matched"):
        importers.import_volunteers(table=table, mapping=[""] * 9, defaults=Defaults(), organiser=importer)


# The admin pages


def import_client(*codenames):
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    sign_in_organiser(client, user)
    return client


@pytest.mark.django_db
def test_admin_import_from_upload_to_invitation(django_capture_on_commit_callbacks):
    client = import_client("import_volunteers", "view_volunteer")
    messy = b"\xef\xbb\xbf" + csv_bytes(
        [
            [*GOOGLE_FORMS_HEADERS, "Email Address "],
            [*google_row(email="'Ann@Example.org", name="Ann Lee", skills="Video, Data"), "other@example.org"],
        ]
    )

    upload = client.post(reverse("admin:volunteers_volunteer_import"), {"file": SimpleUploadedFile("form.csv", messy)})
    assert upload.status_code == 302

    columns = client.get(reverse("admin:volunteers_volunteer_import_columns"))
    page = columns.content.decode()
    assert "a Google Forms responses sheet" in page
    assert "UTF-8 with a byte-order mark" in page
    assert "appears more than once" in page

    form = {f"column_{index}": guess for index, guess in enumerate(["", "email", "full_name", "postcode", "skills"])}
    form.update(
        column_5="remote",
        column_6="in_person",
        column_7="hours_per_week",
        work_mode="remote",
        travel_radius_miles="10",
        hours_per_week="2",
        max_active_matches="1",
        skill_level="2",
    )
    assert client.post(reverse("admin:volunteers_volunteer_import_columns"), form).status_code == 302

    preview = client.get(reverse("admin:volunteers_volunteer_import_preview")).content.decode()
    assert "Import 1 volunteer" in preview
    assert "ann@example.org" in preview

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("admin:volunteers_volunteer_import_preview"))
    assert done.status_code == 302
    volunteer = Volunteer.objects.get(user__email="ann@example.org")
    assert set(volunteer.skills.values_list("area", "level")) == {("video", 2), ("data", 2)}
    assert mail.outbox[-1].to == ["ann@example.org"]


@pytest.mark.django_db
def test_admin_column_errors_are_shown_beside_the_field():
    client = import_client("import_volunteers", "view_volunteer")
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row()])
    client.post(reverse("admin:volunteers_volunteer_import"), {"file": SimpleUploadedFile("form.csv", content)})

    form = {f"column_{index}": "" for index in range(9)}
    form.update(column_1="email", column_2="email", work_mode="remote", travel_radius_miles="0", hours_per_week="2")
    form.update(max_active_matches="1", skill_level="1")
    response = client.post(reverse("admin:volunteers_volunteer_import_columns"), form)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["column_2"] == ["Email address is already chosen for column B. Choose one column for it."]
    assert "Choose the column with the postcode." in errors["__all__"]
    assert "travel_radius_miles" in errors
    assert 'value="email" selected' in response.content.decode()


@pytest.mark.django_db
def test_admin_preview_lists_problems_and_offers_no_import():
    client = import_client("import_volunteers", "view_volunteer")
    content = csv_bytes([GOOGLE_FORMS_HEADERS, google_row(), google_row(email="b@example.org", postcode="QA1 1AA")])
    client.post(reverse("admin:volunteers_volunteer_import"), {"file": SimpleUploadedFile("form.csv", content)})
    guesses = {
        f"column_{index}": target for index, target in enumerate(["", "email", "full_name", "postcode", "skills"])
    }
    guesses.update(work_mode="remote", travel_radius_miles="10", hours_per_week="2", max_active_matches="1")
    client.post(reverse("admin:volunteers_volunteer_import_columns"), {**guesses, "skill_level": "1"})

    page = client.get(reverse("admin:volunteers_volunteer_import_preview")).content.decode()

    assert "1 row has problems, so nothing can be imported yet" in page
    assert "<td>3</td>" in page
    assert "not a valid UK postcode" in page
    assert "Import 1 volunteer" not in page
    assert client.post(reverse("admin:volunteers_volunteer_import_preview")).status_code == 200
    assert not Volunteer.objects.exists()


@pytest.mark.django_db
def test_admin_upload_reports_unreadable_file():
    client = import_client("import_volunteers", "view_volunteer")
    response = client.post(
        reverse("admin:volunteers_volunteer_import"), {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0abc")}
    )
    assert response.status_code == 200
    assert "This is not a CSV or XLSX file" in response.content.decode()


@pytest.mark.django_db
def test_import_needs_its_own_permission():
    client = import_client("view_volunteer", "add_volunteer", "change_volunteer")
    assert client.get(reverse("admin:volunteers_volunteer_import")).status_code == 403
    changelist = client.get(reverse("admin:volunteers_volunteer_changelist")).content.decode()
    assert "Import from a spreadsheet" not in changelist


def test_defaults_survive_the_session():
    defaults = Defaults(work_mode="both", available_from=date(2027, 1, 5))
    assert Defaults.from_session(defaults.to_session()) == defaults


@pytest.mark.django_db
def test_large_import_runs_in_bulk(importer, django_assert_max_num_queries):
    rows = [GOOGLE_FORMS_HEADERS] + [google_row(email=f"person{number}@example.org") for number in range(300)]
    table, mapping, _plan = plan_for(csv_bytes(rows))

    # The plan reads the registered addresses; the import then inserts each table once.
    with django_assert_max_num_queries(20):
        result = importers.import_volunteers(table=table, mapping=mapping, defaults=Defaults(), organiser=importer)

    assert result.created == 300
    assert Volunteer.objects.filter(imported_at__isnull=False).count() == 300
    assert EmailAddress.objects.filter(verified=False).count() == 300


def test_oversized_file_is_refused():
    with pytest.raises(ImportFileError, match="largest that can be imported is 5 MB"):
        importers.read_table("people.csv", b"Email\r\n" + b"a" * importers.MAX_UPLOAD_BYTES)
