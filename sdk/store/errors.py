"""Errors of the durable store, all under :class:`mmtkit.errors.MmtkitError`.

Messages name the table and the row key, never a payload: a stored body may hold a customer's
message or a secret header, and error messages end up in logs.
"""

from __future__ import annotations

__all__ = [
    "CorruptRow",
    "InvalidQuery",
    "SchemaTooNew",
    "StoreBusy",
    "StoreError",
    "UnknownConversation",
    "UnknownDeadLetter",
    "UnknownInboxRow",
]

from mmtkit.errors import MmtkitError


class StoreError(MmtkitError):
    """The store could not do what was asked; the database is unchanged."""


class StoreBusy(StoreError):
    """Another process held the database's write lock for longer than ``busy_timeout``.

    Nothing was written; retrying later is safe. Frequent ones mean the timeout is too short
    for the load, or a process keeps a transaction open for too long."""


class SchemaTooNew(StoreError):
    """The database was written by a newer mmtkit: its schema version is above the versions
    this one knows. Opening it anyway could corrupt data the newer code relies on."""

    def __init__(self, location: str, found: int, supported: int) -> None:
        super().__init__(
            f"the store at {location} has schema version {found}, but this mmtkit knows "
            f"versions up to {supported}; upgrade mmtkit (or open a copy made before the upgrade)"
        )
        self.found = found
        self.supported = supported


class CorruptRow(StoreError):
    """A stored row cannot be read back into its typed value (e.g. hand-edited JSON).

    Reading that one row raises this error; listings skip it with a logged warning that names
    the row, so one bad row never hides the others."""

    def __init__(self, table: str, key: object, reason: str) -> None:
        super().__init__(f"row {key!r} of table {table!r} cannot be decoded: {reason}")
        self.table = table
        self.key = key


class InvalidQuery(StoreError, ValueError):
    """A query's arguments contradict each other or miss a required value."""


class UnknownConversation(StoreError, LookupError):
    def __init__(self, channel: str, conversation_id: str) -> None:
        super().__init__(f"no stored conversation {conversation_id!r} on {channel}")
        self.channel = channel
        self.conversation_id = conversation_id


class UnknownInboxRow(StoreError, LookupError):
    """No inbox row with this id: it never existed, or it was dead-lettered or purged."""

    def __init__(self, row_id: int) -> None:
        super().__init__(f"no inbox row {row_id} (it may have been dead-lettered or purged)")
        self.row_id = row_id


class UnknownDeadLetter(StoreError, LookupError):
    def __init__(self, table: str, entry_id: int) -> None:
        super().__init__(f"no {table} entry {entry_id}")
        self.table = table
        self.entry_id = entry_id
