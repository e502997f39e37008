"""``nhcs validate``: a district office checks its delivery folder before sending it, with the
branch's own readers, rules and identities, and no warehouse (docs/validate.md). No Dagster."""

from .result import EXIT_BREAK, EXIT_PASS, EXIT_REJECTED, EXIT_USAGE, Item, Validation
from .run import validate_folder

__all__ = [
    "EXIT_BREAK",
    "EXIT_PASS",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "Item",
    "Validation",
    "validate_folder",
]
