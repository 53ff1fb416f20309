"""
Summarise the time the server itself spent on each URL pattern, from the JSON
request lines of its log (one per request, written by RequestIdMiddleware).

The load client's latencies also include the time a request waited for a free
gunicorn process; the difference between the two is that wait.

Usage: python loadtest/server_times.py var/loadtest-server.log
"""

import json
import sys
from collections import defaultdict

REQUEST_LOGGER = "techforlabour.middleware"


def request_lines(lines):
    """Yield the request records of a log, skipping honcho's prefix and any line that is not JSON."""
    for line in lines:
        start = line.find("{")
        if start < 0:
            continue
        try:
            record = json.loads(line[start:])
        except json.JSONDecodeError:
            continue
        if record.get("logger") == REQUEST_LOGGER:
            yield record


def nearest_rank(sorted_values: list[float], share: float) -> float:
    rank = max(1, round(share * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def main(path: str) -> None:
    durations = defaultdict(list)
    with open(path, encoding="utf-8") as log:
        for record in request_lines(log):
            method = record["message"].split(" ", 1)[0]
            durations[f"{method} {record['route']}"].append(record["duration_ms"])

    print("server time per request (ms): requests, p50, p95, p99, total seconds")
    for label, values in sorted(durations.items()):
        values.sort()
        print(
            f"  {label}: {len(values)}, {nearest_rank(values, 0.5)}, {nearest_rank(values, 0.95)}, "
            f"{nearest_rank(values, 0.99)}, {sum(values) / 1000:.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python loadtest/server_times.py LOG_FILE")
    main(sys.argv[1])
