"""
Bounded load test of a server on this machine's loopback address.

Two phases against the same server, each with the same number of simulated
users for the same number of seconds and no pause between requests:

  site     Each user comes as a new visitor every round. It opens the home
           page, the privacy notice and the page for campaigns, then the
           volunteer signup form, and posts the form with a unique address.
  trivial  Each user requests /livez, a Django view that touches neither
           the database nor Redis, as a baseline for the same server.

Each phase stops at its time limit or after --max-requests requests, whichever
comes first. Afterwards the script reads the database. It checks that every
signup answered with a redirect to the verification-sent page is stored, with
its volunteer profile, exactly once.

Only http://127.0.0.1 is accepted as a target, and only 127.0.0.1 as the
database host. The script rejects anything else before it sends a byte.
Run it through loadtest/run_local.sh, which sets up and removes the server.
"""

import argparse
import http.client
import json
import re
import resource
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import psycopg2

ALLOWED_HOST = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 30
VERIFICATION_SENT_PATH = "/accounts/confirm-email/"
BROWSED_PAGES = ["/", "/privacy/", "/campaigns/ask-for-help/"]
SIGNUP_PATH = "/volunteer/signup/"
TRIVIAL_PATH = "/livez"
# Real postcodes over eight first letters, so each web process reads eight postcode files.
POSTCODES = ["B1 1AY", "SW1A 1AA", "M1 1AE", "LS1 1UR", "CF10 1EP", "EH1 1YZ", "BS1 4DJ", "NE1 7RU", "L1 8JQ", "G1 1XQ"]
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class TargetNotAllowed(ValueError):
    """The target or the database is not on 127.0.0.1."""


def loopback_port(base_url: str) -> int:
    """Return the port of an http://127.0.0.1:PORT URL, and raise TargetNotAllowed for any other URL."""
    parts = urlsplit(base_url)
    if parts.scheme != "http" or parts.hostname != ALLOWED_HOST or parts.path not in {"", "/"}:
        raise TargetNotAllowed(f"target {base_url!r} is not allowed: use http://{ALLOWED_HOST}:PORT")
    if parts.port is None:
        raise TargetNotAllowed(f"target {base_url!r} has no port: use http://{ALLOWED_HOST}:PORT, such as :8010")
    return parts.port


def check_database_url(database_url: str) -> None:
    parts = urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql"} or parts.hostname != ALLOWED_HOST:
        raise TargetNotAllowed(f"database host {parts.hostname!r} is not allowed: use PostgreSQL on {ALLOWED_HOST}")


@dataclass
class Sample:
    phase: str
    label: str
    status: int  # 0 when the request failed without a response
    seconds: float
    ok: bool


@dataclass
class Budget:
    """A shared request count and deadline; every user asks it before each request."""

    max_requests: int
    deadline: float
    used: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> bool:
        with self.lock:
            if self.used >= self.max_requests or time.monotonic() >= self.deadline:
                return False
            self.used += 1
            return True


class Visitor:
    """One simulated browser: a connection to the server and a cookie jar."""

    def __init__(self, port: int, phase: str, samples: list, samples_lock: threading.Lock):
        self.port = port
        self.phase = phase
        self.samples = samples
        self.samples_lock = samples_lock
        self.connection = http.client.HTTPConnection(ALLOWED_HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
        self.cookies: dict[str, str] = {}

    def forget_cookies(self) -> None:
        self.cookies.clear()

    def request(self, method: str, path: str, label: str, *, body: dict | None = None, expect=(200,)):
        """Send one request; return (status, headers, text), or None when it failed without a response."""
        headers = {"User-Agent": "techforlabour-loadtest"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        encoded = None
        if body is not None:
            encoded = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{ALLOWED_HOST}:{self.port}"

        started = time.monotonic()
        try:
            self.connection.request(method, path, body=encoded, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self._record(label, 0, time.monotonic() - started, ok=False)
            return None
        elapsed = time.monotonic() - started

        for cookie_header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(cookie_header)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()

        self._record(label, response.status, elapsed, ok=response.status in expect)
        return response.status, response.headers, text

    def _record(self, label: str, status: int, seconds: float, *, ok: bool) -> None:
        with self.samples_lock:
            self.samples.append(Sample(self.phase, label, status, seconds, ok))

    def close(self) -> None:
        self.connection.close()


def is_signup_success(result) -> bool:
    """Return whether a signup redirected to the page saying that a confirmation email was sent."""
    if result is None:
        return False
    status, headers, _ = result
    return status == 302 and urlsplit(headers.get("Location", "")).path == VERIFICATION_SENT_PATH


def signup_form(email: str, postcode: str) -> dict:
    return {
        "email": email,
        "password1": "load-test-passphrase-not-used-again",
        "password2": "load-test-passphrase-not-used-again",
        "full_name": "Load Test",
        "postcode": postcode,
        "skill_video": "2",
        "skill_data": "",
        "skill_engineering": "",
        "skill_social_media": "",
        "work_mode": "both",
        "travel_radius_miles": "10",
        "hours_per_week": "4",
        "available_from": date.today().isoformat(),
        "available_until": "",
        "max_active_matches": "1",
        "bio": "",
        "links": "",
        "party_relationship": "",
        "privacy_consent": "on",
    }


@dataclass
class SignupLedger:
    """The addresses posted, and those among them that got the success redirect."""

    attempted: list = field(default_factory=list)
    succeeded: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, email: str, success: bool) -> None:
        with self.lock:
            self.attempted.append(email)
            if success:
                self.succeeded.append(email)


def site_user(visitor: Visitor, budget: Budget, ledger: SignupLedger, run_id: str, user_number: int) -> None:
    round_number = 0
    while True:
        visitor.forget_cookies()
        for path in BROWSED_PAGES:
            if not budget.take():
                return
            visitor.request("GET", path, f"GET {path}")

        if not budget.take():
            return
        page = visitor.request("GET", SIGNUP_PATH, f"GET {SIGNUP_PATH}")
        token = CSRF_FIELD.search(page[2]) if page else None
        if token is None or not budget.take():
            continue

        email = f"load-{run_id}-{user_number}-{round_number}@example.org"
        form = signup_form(email, POSTCODES[(user_number + round_number) % len(POSTCODES)])
        form["csrfmiddlewaretoken"] = token.group(1)
        result = visitor.request("POST", SIGNUP_PATH, f"POST {SIGNUP_PATH}", body=form, expect=(302,))
        ledger.add(email, is_signup_success(result))
        round_number += 1


def trivial_user(visitor: Visitor, budget: Budget) -> None:
    while budget.take():
        visitor.request("GET", TRIVIAL_PATH, f"GET {TRIVIAL_PATH}")


def run_phase(name: str, *, port: int, users: int, seconds: float, max_requests: int, target) -> tuple[list, float]:
    samples: list[Sample] = []
    samples_lock = threading.Lock()
    budget = Budget(max_requests=max_requests, deadline=time.monotonic() + seconds)
    visitors = [Visitor(port, name, samples, samples_lock) for _ in range(users)]
    threads = [
        threading.Thread(target=target, args=(visitor, budget, number), daemon=True)
        for number, visitor in enumerate(visitors)
    ]

    started = time.monotonic()
    for thread in threads:
        thread.start()
    # A request started just before the deadline may take up to the request timeout.
    for thread in threads:
        thread.join(timeout=max(0.0, budget.deadline - time.monotonic()) + REQUEST_TIMEOUT_SECONDS + 5)
    elapsed = time.monotonic() - started
    for visitor in visitors:
        visitor.close()

    still_running = sum(thread.is_alive() for thread in threads)
    if still_running:
        print(f"warning: {still_running} users of phase {name} were still waiting for a response", file=sys.stderr)
    return samples, elapsed


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of values already in ascending order."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(samples: list[Sample], elapsed: float) -> dict:
    def figures(group: list[Sample]) -> dict:
        latencies = sorted(sample.seconds for sample in group)
        statuses: dict[str, int] = {}
        for sample in group:
            statuses[str(sample.status)] = statuses.get(str(sample.status), 0) + 1
        return {
            "requests": len(group),
            "errors": sum(not sample.ok for sample in group),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
            "statuses": statuses,
        }

    labels = sorted({sample.label for sample in samples})
    overall = figures(samples)
    overall["seconds"] = round(elapsed, 1)
    overall["requests_per_second"] = round(len(samples) / elapsed, 1) if elapsed else 0.0
    overall["by_request"] = {label: figures([s for s in samples if s.label == label]) for label in labels}
    return overall


def check_database(database_url: str, run_id: str, ledger: SignupLedger) -> dict:
    """Compare the signups that got the success redirect with the rows stored."""
    pattern = f"load-{run_id}-%"
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT lower(u.email), count(DISTINCT u.id), count(v.id)
            FROM accounts_user AS u
            LEFT JOIN volunteers_volunteer AS v ON v.user_id = u.id
            WHERE u.email LIKE %s
            GROUP BY lower(u.email)
            """,
            [pattern],
        )
        stored = {email: (users, volunteers) for email, users, volunteers in cursor.fetchall()}
    connection.close()

    succeeded = {email.lower() for email in ledger.succeeded}
    missing = sorted(email for email in succeeded if email not in stored)
    stored_twice = sorted(email for email, (users, _) in stored.items() if users > 1)
    without_profile = sorted(email for email, (_, volunteers) in stored.items() if volunteers != 1)
    stored_without_success = sorted(email for email in stored if email not in succeeded)
    return {
        "signups_posted": len(ledger.attempted),
        "signups_succeeded": len(succeeded),
        "accounts_stored": len(stored),
        "missing": missing,
        "stored_twice": stored_twice,
        "without_one_volunteer_profile": without_profile,
        "stored_without_success_response": stored_without_success,
        "passed": not missing and not stored_twice and not without_profile,
    }


def print_phase(name: str, summary: dict) -> None:
    print(
        f"{name}: {summary['requests']} requests in {summary['seconds']} s, "
        f"{summary['requests_per_second']} per second; "
        f"p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms; "
        f"{summary['errors']} errors"
    )
    for label, figures in summary["by_request"].items():
        print(
            f"  {label}: {figures['requests']} requests, p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"p99 {figures['p99_ms']} ms, {figures['errors']} errors, statuses {figures['statuses']}"
        )


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="The server, as http://127.0.0.1:PORT.")
    parser.add_argument("--database-url", required=True, help="The server's PostgreSQL database on 127.0.0.1.")
    parser.add_argument("--users", type=int, default=50, help="Simulated users at once in each phase (1 to 200).")
    parser.add_argument("--seconds", type=float, default=60, help="Length of each phase, in seconds (1 to 600).")
    parser.add_argument(
        "--max-requests", type=int, default=100_000, help="Most requests in each phase, whatever the time left."
    )
    parser.add_argument("--output", help="Also write the figures to this JSON file.")
    arguments = parser.parse_args(argv)
    if not 1 <= arguments.users <= 200:
        parser.error(f"--users {arguments.users} is out of range: give 1 to 200")
    if not 1 <= arguments.seconds <= 600:
        parser.error(f"--seconds {arguments.seconds} is out of range: give 1 to 600")
    if arguments.max_requests < 1:
        parser.error(f"--max-requests {arguments.max_requests} is out of range: give 1 or more")
    return arguments


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    try:
        port = loopback_port(arguments.base_url)
        check_database_url(arguments.database_url)
    except TargetNotAllowed as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    run_id = uuid.uuid4().hex[:8]
    ledger = SignupLedger()
    phase_options = {
        "port": port,
        "users": arguments.users,
        "seconds": arguments.seconds,
        "max_requests": arguments.max_requests,
    }
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)

    site_samples, site_elapsed = run_phase(
        "site",
        **phase_options,
        target=lambda visitor, budget, number: site_user(visitor, budget, ledger, run_id, number),
    )
    trivial_samples, trivial_elapsed = run_phase(
        "trivial", **phase_options, target=lambda visitor, budget, number: trivial_user(visitor, budget)
    )

    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    site = summarise(site_samples, site_elapsed)
    trivial = summarise(trivial_samples, trivial_elapsed)
    database = check_database(arguments.database_url, run_id, ledger)
    ratio = site["requests_per_second"] / trivial["requests_per_second"] if trivial["requests_per_second"] else 0.0

    print(f"run {run_id}: {arguments.users} users, {arguments.seconds:g} s a phase, target {arguments.base_url}")
    print_phase("site", site)
    print_phase("trivial", trivial)
    print(f"site requests per second / trivial requests per second = {ratio:.3f}")
    print(f"load client CPU time: {client_cpu:.1f} s over {site_elapsed + trivial_elapsed:.1f} s")
    print(
        f"database: {database['signups_succeeded']} of {database['signups_posted']} signups succeeded; "
        f"{database['accounts_stored']} stored; missing {len(database['missing'])}; "
        f"stored twice {len(database['stored_twice'])}; "
        f"without one volunteer profile {len(database['without_one_volunteer_profile'])}; "
        f"stored without a success response {len(database['stored_without_success_response'])}"
    )

    if arguments.output:
        report = {
            "run_id": run_id,
            "users": arguments.users,
            "seconds_per_phase": arguments.seconds,
            "site": site,
            "trivial": trivial,
            "site_to_trivial_ratio": round(ratio, 3),
            "client_cpu_seconds": round(client_cpu, 1),
            "database": database,
        }
        with open(arguments.output, "w") as output:
            json.dump(report, output, indent=2)

    if not database["passed"]:
        print("error: the database check failed; see the lists above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
