"""
Rank every open help request again and keep its top ten suggestions.

Suggestions are refreshed as volunteers and requests change, so this command is
for when something changes them all at once: new matching weights in the
settings, a fix to the ranking, or a bulk import of volunteers. With
--rebuild-rows it first rewrites every volunteer's ranking rows, for data
changed outside the app (by SQL, say). It is safe to
run at any time and to run twice. Each request is rewritten in its own
transaction, so organisers see every request either as it was or as it is now,
and a request that fails is reported while the others carry on.
The work itself lives in matching.batch.
"""

import argparse
import logging

from django.core.management.base import BaseCommand, CommandError

from matching import batch, ranking_rows
from techforlabour.management.logger_levels import logger_levels

# The ranking writes one log line per request, which buries the progress lines.
# It is set to WARNING for the run unless the verbosity is 2 or more.
PER_REQUEST_LOGGERS = ("matching.services", "matching.batch")


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}. Enter a whole number such as 100.") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"invalid number {number}. It must be 1 or more.")
    return number


class Command(BaseCommand):
    help = "Rank every open help request again and keep its top ten suggestions."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Rank every open request and print the totals, but write nothing.",
        )
        parser.add_argument(
            "--rebuild-rows",
            action="store_true",
            help="First rewrite every volunteer's ranking rows from their records.",
        )
        parser.add_argument(
            "--progress-every",
            type=_positive_int,
            default=100,
            metavar="N",
            help="Print a progress line after every N requests (default: 100).",
        )

    def handle(self, *args, dry_run: bool, rebuild_rows: bool, progress_every: int, verbosity: int, **options):
        def progress(done: int, total: int) -> None:
            if verbosity >= 1 and (done % progress_every == 0 or done == total):
                self.stdout.write(f"  {done:,} of {total:,} help requests ({done / total:.0%})")

        if rebuild_rows and dry_run:
            raise CommandError("--rebuild-rows writes to the database, so it cannot be used with --dry-run.")
        if rebuild_rows:
            written = ranking_rows.rebuild_all()
            if verbosity >= 1:
                self.stdout.write(f"Rewrote the ranking rows: {written:,} rows.")

        log_level = logging.INFO if verbosity >= 2 else logging.WARNING
        with logger_levels(PER_REQUEST_LOGGERS, log_level):
            result = batch.recompute_open_suggestions(dry_run=dry_run, progress=progress)

        if verbosity >= 1:
            self.stdout.write(self._summary(result, dry_run=dry_run))
        if result.failed:
            raise CommandError(
                f"{result.failed:,} help request(s) could not be refreshed; the log names each one. "
                "Run the command again to retry them."
            )

    @staticmethod
    def _summary(result: batch.BatchResult, *, dry_run: bool) -> str:
        if dry_run:
            return (
                f"Dry run: ranked {result.requests:,} open help requests, which would keep "
                f"{result.suggestions:,} suggestions, in {result.seconds:.1f} seconds. Nothing was written."
            )
        return (
            f"Recomputed suggestions for {result.requests:,} open help requests: "
            f"{result.suggestions:,} suggestions kept in {result.seconds:.1f} seconds."
        )
