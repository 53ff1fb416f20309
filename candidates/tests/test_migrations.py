"""Ballots made before ballot identifiers keep working: the migration names each and merges spellings of one."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("candidates", "0002_help_request_offered")]
AFTER = [("candidates", "0005_ballot_id_unique")]
POLL = date(2030, 5, 2)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_ballots_get_identifiers():
    old_apps = migrate(BEFORE)
    OldElection = old_apps.get_model("candidates", "Election")
    OldCandidate = old_apps.get_model("candidates", "Candidate")
    rows = {
        "plain": OldElection.objects.create(council="Birmingham", ward="Ladywood", polling_day=POLL),
        "dotted": OldElection.objects.create(council="Birmingham", ward="St. John's", polling_day=POLL),
        "undotted": OldElection.objects.create(council="Birmingham", ward="St Johns", polling_day=POLL),
        "welsh": OldElection.objects.create(council="Cardiff", ward="Cathays", polling_day=POLL),
        "unsluggable": OldElection.objects.create(council="张伟", ward="王芳", polling_day=POLL),
    }
    for key, election in rows.items():
        OldCandidate.objects.create(full_name=key, election=election, postcode="B1 1AY")

    try:
        new_apps = migrate(AFTER)
        Election = new_apps.get_model("candidates", "Election")
        Candidate = new_apps.get_model("candidates", "Candidate")

        ballots = dict(Candidate.objects.values_list("full_name", "election__ballot_id"))
        assert ballots["plain"] == "local.birmingham.ladywood.2030-05-02"
        assert ballots["dotted"] == ballots["undotted"] == "local.birmingham.st-johns.2030-05-02"
        assert ballots["welsh"] == "local.cardiff.cathays.2030-05-02"
        unsluggable = rows["unsluggable"].pk
        assert ballots["unsluggable"] == f"local.council-{unsluggable}.ward-{unsluggable}.2030-05-02"
        assert Election.objects.count() == 4, "the two spellings of St John's became one ballot"

        welsh = Election.objects.get(ballot_id="local.cardiff.cathays.2030-05-02")
        assert welsh.country == "wales"
        assert welsh.close_of_nominations is not None
        assert not welsh.is_confirmed
        assert welsh.source == "candidate"
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
