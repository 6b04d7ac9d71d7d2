"""Small helpers shared by every area."""

from refs.utils.seeding import seed_everything

__all__ = ["seed_everything"]
