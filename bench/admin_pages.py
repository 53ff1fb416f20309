"""
Benchmark the organisers' admin pages (the dashboard and the list pages) with many volunteers.

    python bench/admin_pages.py --volunteers 100000 --database postgres

It creates a database of its own (an SQLite file under /tmp, or a PostgreSQL
database named in --postgres-url, which must contain "bench"), migrates it,
fills it, and drops it at the end unless --keep is given. It holds the given
number of volunteers, 1,000 open help requests with ten suggestions each, and
3,000 decided matches. Of the volunteers, 3% are paused, 3% have an email
address not confirmed and 2% were imported and wait to confirm. Each has one or
two skills, signed up in the last 20 weeks, and lives in one of the councils of
matching.local_authorities.

A member of staff with every permission signs in through allauth's pages with
a second factor, as organisers do, and Django's test client requests each page
--samples times after two unmeasured requests (the dashboard twice: as it
usually is, with the volunteer figures of the last minute in the cache, and
with the cache emptied before each request). The time is the whole request
through Django's middleware and templates in this process, without a network
or a web server. It reports p50 and p95 in milliseconds, the median CPU time
of this process (Django and the database driver, without the database server),
the median time spent in queries, and the number of queries of the last
request. On a machine that other work keeps busy, the wall time grows far
beyond the CPU time, so both are reported. Debug mode is off, so Django keeps no log of
queries. This is not a test; the results are recorded in docs/benchmarks.md.
"""

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = "/tmp/techforlabour_admin_bench.sqlite3"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/techforlabour_admin_bench"
BATCH_SIZE = 5_000
OPEN_REQUESTS = 1_000
SUGGESTIONS_PER_REQUEST = 10
DECIDED_MATCHES = 3_000
SIGNUP_DAYS = 140
SKILL_AREAS = ("social_media", "data", "engineering", "video")
# The pages measured, by name and address; "{help_request}" is a request with ten suggestions.
PAGES = [
    ("Dashboard (admin index)", "/admin/"),
    ("Dashboard, volunteer figures not cached", "/admin/#cold"),
    ("Volunteers", "/admin/volunteers/volunteer/"),
    ("Volunteers, video and email not confirmed", "/admin/volunteers/volunteer/?skill=video&confirmed=no"),
    ("Volunteers, search by name", "/admin/volunteers/volunteer/?q=volunteer+4242"),
    ("Help requests", "/admin/candidates/helprequest/"),
    ("Help requests, polling day within 7 days", "/admin/candidates/helprequest/?polling_day=week"),
    ("Matches", "/admin/matching/match/"),
    ("Matches, suggested, one council", "/admin/matching/match/?status__exact=suggested&council=Council+3"),
    ("Candidates", "/admin/candidates/candidate/"),
    ("One help request with its suggestions", "/admin/candidates/helprequest/{help_request}/change/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the organisers' admin pages.")
    parser.add_argument("--volunteers", type=int, default=100_000, help="Number of volunteers.")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="Database to create and drop.")
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE_PATH, help="SQLite file to create and delete.")
    parser.add_argument("--samples", type=int, default=30, help="Measured requests of each page.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, help="Also write the results to this JSON file.")
    parser.add_argument("--keep", action="store_true", help="Keep the database at the end.")
    args = parser.parse_args()
    if args.volunteers < DECIDED_MATCHES + SUGGESTIONS_PER_REQUEST + 200:
        parser.error(f"--volunteers {args.volunteers} is too few; give at least {DECIDED_MATCHES + 210}.")

    if args.database == "postgres" and "bench" not in args.postgres_url.rsplit("/", 1)[-1]:
        parser.error(f"--postgres-url {args.postgres_url} names a database without 'bench' in it; it would be dropped.")

    database_url = args.postgres_url if args.database == "postgres" else f"sqlite:///{args.sqlite_path}"
    _setup_django(database_url)
    results = _run(args)
    _print_table(results)
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


def _setup_django(database_url: str) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techforlabour.settings.dev")
    os.environ["DATABASE_URL"] = database_url
    # With DEBUG on, Django keeps every query in memory, which would skew the times.
    os.environ["DEBUG"] = "False"
    # The test client's requests come from the host "testserver".
    os.environ["ALLOWED_HOSTS"] = "testserver"
    # No broker: nothing measured should queue a task, and none may leave the machine.
    os.environ["REDIS_URL"] = ""

    import django

    django.setup()

    import logging

    logging.disable(logging.INFO)


def _run(args) -> dict:
    from django.db import connection

    test_settings = connection.settings_dict.setdefault("TEST", {})
    test_settings["NAME"] = connection.settings_dict["NAME"]
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Created and migrated {connection.vendor} database in {time.perf_counter() - started:.1f} s", flush=True)

    try:
        started = time.perf_counter()
        help_request_id = _build(random.Random(args.seed), args.volunteers)
        with connection.cursor() as cursor:
            # Both databases are asked to gather statistics, as autovacuum would after a bulk load.
            cursor.execute("ANALYZE")
        build_seconds = time.perf_counter() - started
        print(f"{args.volunteers:,} volunteers ready in {build_seconds:.1f} s; measuring", flush=True)

        client = _signed_in_client()
        pages = []
        for name, address in PAGES:
            pages.append(_measure(client, name, address.format(help_request=help_request_id), args.samples))
            print(json.dumps(pages[-1]), flush=True)
    finally:
        connection.close()
        if args.keep:
            print(f"Kept the database {connection.settings_dict['NAME']}")
        else:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)

    return {
        "environment": _environment(args),
        "volunteers": args.volunteers,
        "build_seconds": build_seconds,
        "pages": pages,
    }


def _environment(args) -> dict:
    from django import get_version

    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "django": get_version(),
        "database": args.database,
        "cpus": os.cpu_count(),
        "samples": args.samples,
    }


# Building the data


def _build(rng: random.Random, volunteer_count: int) -> int:
    """Fill the database and return the id of a help request with ten suggestions."""
    from candidates.models import Candidate, HelpRequest
    from candidates.services import find_or_create_election
    from matching.local_authorities import LOCAL_AUTHORITY_NAMES
    from volunteers.models import Volunteer

    councils = sorted(LOCAL_AUTHORITY_NAMES)
    today = date.today()
    # auto_now_add would give every volunteer this moment; the signup chart needs them spread out.
    created_at = Volunteer._meta.get_field("created_at")
    created_at.auto_now_add = False
    try:
        for start in range(0, volunteer_count, BATCH_SIZE):
            _build_volunteers(rng, range(start, min(start + BATCH_SIZE, volunteer_count)), councils)
    finally:
        created_at.auto_now_add = True

    # One at a time through the service, which builds each ballot's identifier.
    elections = [
        find_or_create_election(
            council=f"Council {number % 40}", ward=f"Ward {number}", polling_day=today + timedelta(days=number % 60)
        )
        for number in range(200)
    ]
    candidates = Candidate.objects.bulk_create(
        Candidate(
            full_name=f"Candidate {number}",
            election=elections[number % len(elections)],
            postcode="B1 1AY",
            grid="gb",
            easting=406523,
            northing=286448,
            local_authority_code="E08000025",
        )
        for number in range(400)
    )
    requests = HelpRequest.objects.bulk_create(
        HelpRequest(
            candidate=candidates[number % len(candidates)],
            skill_area=SKILL_AREAS[number % len(SKILL_AREAS)],
            description="Benchmark request.",
            estimated_hours=rng.randint(1, 15),
            needed_by=today + timedelta(days=rng.randint(3, 59)),
            work_mode="either",
            suggestions_updated_at=datetime.now().astimezone(),
        )
        for number in range(OPEN_REQUESTS)
    )
    _build_matches(rng, requests, volunteer_count)
    return requests[0].pk


def _build_volunteers(rng: random.Random, numbers: range, councils: list[str]) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from volunteers.models import Volunteer, VolunteerSkill

    password = _password_hash(make_password)
    now = timezone.now()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"volunteer{number}@example.org", password=password) for number in numbers]
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, primary=True, verified=rng.random() >= 0.03) for user in users
        )
        volunteers = Volunteer.objects.bulk_create(
            Volunteer(
                user=user,
                full_name=f"Volunteer {number}",
                postcode="B1 1AY",
                grid="gb",
                easting=400_000 + rng.randint(-50_000, 50_000),
                northing=280_000 + rng.randint(-50_000, 50_000),
                local_authority_code=rng.choice(councils),
                work_mode=rng.choice(["in_person", "remote", "both"]),
                travel_radius_miles=10,
                hours_per_week=rng.randint(1, 20),
                available_from=now.date() - timedelta(days=rng.randint(0, 90)),
                is_paused=rng.random() < 0.03,
                imported_at=now if rng.random() < 0.02 else None,
                created_at=now - timedelta(days=rng.uniform(0, SIGNUP_DAYS)),
                updated_at=now,
            )
            for number, user in zip(numbers, users, strict=True)
        )
        VolunteerSkill.objects.bulk_create(
            VolunteerSkill(volunteer=volunteer, area=area, level=rng.randint(1, 3))
            for volunteer in volunteers
            for area in rng.sample(SKILL_AREAS, rng.choice([1, 1, 2]))
        )


def _build_matches(rng: random.Random, requests: list, volunteer_count: int) -> None:
    from matching.models import Match
    from volunteers.models import Volunteer

    first_id = Volunteer.objects.order_by("pk").values_list("pk", flat=True).first()
    # Suggested volunteers come from the bottom of the range and decided ones from the top, so no
    # volunteer is matched twice to one request.
    volunteer_ids = rng.sample(
        range(first_id, first_id + volunteer_count - DECIDED_MATCHES), SUGGESTIONS_PER_REQUEST + 200
    )
    matches = []
    for help_request in requests:
        for rank, volunteer_id in enumerate(rng.sample(volunteer_ids, SUGGESTIONS_PER_REQUEST), start=1):
            matches.append(
                Match(
                    volunteer_id=volunteer_id,
                    help_request=help_request,
                    rank=rank,
                    total_score=100 - rank * 3,
                    skill_score=0.8,
                    distance_score=0.5,
                    availability_score=1,
                    capacity_score=1,
                    fairness_score=1,
                    distance_miles=rng.uniform(0, 20),
                )
            )
    decided = ["approved", "accepted", "completed", "declined", "lapsed", "rejected"]
    decided_requests = rng.sample(requests, len(requests))
    for number in range(DECIDED_MATCHES):
        matches.append(
            Match(
                volunteer_id=first_id + volunteer_count - 1 - number,
                help_request=decided_requests[number % len(decided_requests)],
                status=decided[number % len(decided)],
                result="won" if number % len(decided) == 2 and number % 2 else "",
            )
        )
    Match.objects.bulk_create(matches, batch_size=BATCH_SIZE)


_PASSWORD_HASH = []


def _password_hash(make_password) -> str:
    # One hash for every account: hashing 100,000 passwords would take longer than the benchmark.
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password("bench-not-for-login"))
    return _PASSWORD_HASH[0]


# Measuring


def _signed_in_client():
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
    from django.contrib.auth.models import Permission
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    password = "bench-organiser-password"
    organiser = User.objects.create_user(email="bench.organiser@example.org", password=password, is_staff=True)
    organiser.user_permissions.set(Permission.objects.all())
    EmailAddress.objects.create(user=organiser, email=organiser.email, primary=True, verified=True)
    TOTP.activate(organiser, secret)

    client = Client()
    response = client.post(reverse("account_login"), {"login": organiser.email, "password": password})
    if response.status_code == 302 and response.url == reverse("mfa_authenticate"):
        code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
        response = client.post(reverse("mfa_authenticate"), {"code": code})
    if client.get("/admin/").status_code != 200:
        raise SystemExit("The benchmark organiser could not sign in to the admin.")
    return client


def _measure(client, name: str, address: str, samples: int) -> dict:
    from django.core.cache import cache
    from django.db import connection, reset_queries

    # "#cold" asks for the page with an empty cache each time; the fragment never reaches Django.
    cold = address.endswith("#cold")
    for _warm_up in range(2):
        _get(client, address)

    times, cpu_times, database_times = [], [], []
    for _sample in range(samples):
        if cold:
            cache.clear()
        timer = _QueryTimer()
        started, cpu_started = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timer):
            _get(client, address)
        times.append((time.perf_counter() - started) * 1000)
        cpu_times.append((time.process_time() - cpu_started) * 1000)
        database_times.append(timer.milliseconds)

    if cold:
        cache.clear()

    connection.force_debug_cursor = True
    reset_queries()
    try:
        _get(client, address)
        queries = len(connection.queries)
    finally:
        connection.force_debug_cursor = False
    return {
        "page": name,
        "address": address,
        "p50_ms": statistics.median(times),
        "p95_ms": _percentile(times, 95),
        "cpu_p50_ms": statistics.median(cpu_times),
        "database_p50_ms": statistics.median(database_times),
        "queries": queries,
    }


class _QueryTimer:
    """Add up the wall time of every query a request makes, waiting for PostgreSQL included."""

    def __init__(self):
        self.milliseconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.milliseconds += (time.perf_counter() - started) * 1000


def _get(client, address: str) -> None:
    response = client.get(address)
    if response.status_code != 200:
        raise SystemExit(f"{address} returned status {response.status_code}.")


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least `percent` per cent of values at or below it.
    index = max(0, -(-percent * len(ordered) // 100) - 1)
    return ordered[index]


def _print_table(results: dict) -> None:
    environment = results["environment"]
    print()
    print(
        f"{environment['database']}, {results['volunteers']:,} volunteers, Python {environment['python']}, "
        f"Django {environment['django']}, {environment['cpus']} CPUs, {environment['date']}, "
        f"{environment['samples']} samples a page"
    )
    print("| Page | p50 ms | p95 ms | Django CPU p50 ms | Queries p50 ms | Queries |")
    print("| --- | --- | --- | --- | --- | --- |")
    for page in results["pages"]:
        print(
            f"| {page['page']} | {page['p50_ms']:.0f} | {page['p95_ms']:.0f} | {page['cpu_p50_ms']:.0f} "
            f"| {page['database_p50_ms']:.0f} | {page['queries']} |"
        )


if __name__ == "__main__":
    main()
