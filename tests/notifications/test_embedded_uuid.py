"""Embedded mode (SQLite) writes bells with the same statement as PostgreSQL: it is given
PostgreSQL's `gen_random_uuid()` on every connection (notifications.services)."""

import sqlite3
import uuid
from types import SimpleNamespace

from notifications.services import register_sqlite_functions


def test_sqlite_connections_get_a_random_uuid_function_in_djangos_storage_form():
    raw = sqlite3.connect(":memory:")
    register_sqlite_functions(sender=None, connection=SimpleNamespace(vendor="sqlite", connection=raw))
    first, second = (raw.execute("SELECT gen_random_uuid()").fetchone()[0] for _ in range(2))
    assert len(first) == 32 and first != second
    assert uuid.UUID(first).version == 4
