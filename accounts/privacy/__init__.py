"""
The rights people have over their data: export, erasure and retention.

- export_person: everything held about one person, for a subject access request.
- erase_person: erase one person, keeping anonymised rows for the network's counts.
- apply_retention: erase everyone past their retention period.
"""

from .erasure import ErasureRefused, ErasureResult, anonymise_candidate, anonymise_volunteer, erase_person
from .export import count_rows, export_person
from .retention import RetentionResult, apply_retention, months_before

__all__ = [
    "ErasureRefused",
    "ErasureResult",
    "RetentionResult",
    "anonymise_candidate",
    "anonymise_volunteer",
    "apply_retention",
    "count_rows",
    "erase_person",
    "export_person",
    "months_before",
]
