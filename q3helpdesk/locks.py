"""Serialising writes that check other rows first (capacity, numbering).

On PostgreSQL a transaction-scoped advisory lock; on SQLite nothing is needed because the
project opens every transaction with ``BEGIN IMMEDIATE`` (see settings), which already
lets only one writer in at a time.
"""

import zlib

from django.db import connection


def advisory_lock(name: str) -> None:
    """Hold a lock named ``name`` until the surrounding transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("advisory_lock() must be called inside transaction.atomic()")
    if connection.vendor == "postgresql":
        key = zlib.crc32(name.encode())
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
