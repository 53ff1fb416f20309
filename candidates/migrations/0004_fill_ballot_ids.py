"""
Give every ballot made before ballot identifiers a Democracy Club identifier and its key dates.

Those ballots were typed in by candidates, so they become unconfirmed local
elections in the country their council's name suggests (England when unknown).
Two rows whose names build one identifier, such as "St. John's" and "St Johns",
were one ballot typed twice: their candidates move to the first and the second
is deleted. A name with no letters or digits to build from gets its row id as
its slug, so that the identifier stays unique until an organiser corrects it.
"""

from django.db import migrations

from candidates.elections import build_ballot_id, infer_country, timetable


def fill_ballot_ids(apps, schema_editor):
    Election = apps.get_model("candidates", "Election")
    Candidate = apps.get_model("candidates", "Candidate")

    kept = {}
    for election in Election.objects.filter(ballot_id__isnull=True).order_by("pk"):
        council = election.council.strip() or f"council {election.pk}"
        ward = election.ward.strip() or f"ward {election.pk}"
        try:
            ballot_id = build_ballot_id(
                election_type="local", polling_day=election.polling_day, organisation=council, division=ward
            )
        except ValueError:
            ballot_id = build_ballot_id(
                election_type="local",
                polling_day=election.polling_day,
                organisation=f"council {election.pk}",
                division=f"ward {election.pk}",
            )

        first = kept.get(ballot_id) or Election.objects.filter(ballot_id=ballot_id).exclude(pk=election.pk).first()
        if first is not None:
            Candidate.objects.filter(election_id=election.pk).update(election_id=first.pk)
            election.delete()
            continue

        country = infer_country(election_type="local", organisation=council) or "england"
        schedule = timetable(ballot_id=ballot_id, country=country)
        election.ballot_id = ballot_id
        election.election_type = "local"
        election.country = country
        election.source = "candidate"
        election.is_confirmed = False
        election.close_of_nominations = schedule.close_of_nominations
        election.sopn_publish_deadline = schedule.sopn_publish_deadline
        election.registration_deadline = schedule.registration_deadline
        election.postal_vote_deadline = schedule.postal_vote_application_deadline
        election.save()
        kept[ballot_id] = election


class Migration(migrations.Migration):
    dependencies = [
        ("candidates", "0003_election_ballots_and_callouts"),
    ]

    operations = [
        migrations.RunPython(fill_ballot_ids, migrations.RunPython.noop),
    ]
