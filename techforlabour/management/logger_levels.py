"""Logger levels set for the length of a management command."""

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def logger_levels(names: Iterable[str], level: int) -> Iterator[None]:
    """Set the named loggers to `level` inside the block, then restore their previous levels."""
    loggers = [logging.getLogger(name) for name in names]
    previous_levels = [target.level for target in loggers]
    for target in loggers:
        target.setLevel(level)
    try:
        yield
    finally:
        for target, previous_level in zip(loggers, previous_levels, strict=True):
            target.setLevel(previous_level)
