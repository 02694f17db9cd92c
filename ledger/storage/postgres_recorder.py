"""eventsourcing's PostgreSQL application recorder, made safe for large saves.

eventsourcing 9.5 inserts a save's events with one ``INSERT ... SELECT FROM unnest(%s)`` sent in
psycopg's *pipeline mode* together with the table lock and the ``NOTIFY``. With psycopg 3.3 and
the libpq it bundles, a large enough array stalls for ever: the client waits for the results of
the pipeline's sync while the server waits, in ``ClientRead``, for the rest of the message
(measured here: 10,000 small events, or 1,000 events of 19 KB, in one save; 5,000 small or 250
of 19 KB were fine). Saves that big are rare — commands take at most 1,000 items — but an email
import saves batches of long messages, and a stalled save holds the events table's lock.

:class:`AccordPostgresApplicationRecorder` therefore sends a save above
:data:`PIPELINE_MAX_EVENTS` events or :data:`PIPELINE_MAX_BYTES` bytes of state without the
pipeline: the same statements (lock, notify, insert returning the notification ids) in one
ordinary transaction, a few more round trips for a save that is large anyway. Smaller saves keep
eventsourcing's pipelined path unchanged. Chosen with ``APPLICATION_RECORDER_TOPIC`` by
:mod:`ledger.storage`.

It also retries creating its tables: two processes (or threads) opening the ledger at once both
run eventsourcing's ``CREATE ... IF NOT EXISTS`` and ``CREATE OR REPLACE FUNCTION``, and
PostgreSQL refuses the second writer of the same catalogue row ("tuple concurrently updated")
even when everything exists already (seen here in about one start in three), or, on a new
database, the second ``CREATE TABLE IF NOT EXISTS`` ("relation ... already exists").

And it never retries an insert blindly. eventsourcing retries ``insert_events`` on a
connection error; when the COMMIT had gone through before the connection died, the retry
collided with its own rows and the save was reported as a conflict although it was stored.
Here a failed insert is followed by a look at what is stored at the events' ids and versions
(:mod:`ledger.storage.outcome`): stored, not stored (sent again), someone else's (a conflict),
or — the database still away — :class:`~ledger.storage.outcome.OutcomeUnknownError`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    InternalError,
    OperationalError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from ledger.storage import outcome
from ledger.storage.resilience import Backoff

#: Saves up to this many events go through eventsourcing's pipelined insert.
PIPELINE_MAX_EVENTS = 1_000
#: ... and up to this many bytes of event state.
PIPELINE_MAX_BYTES = 1 << 20


#: Attempts at creating the tables when another process is creating them at the same moment.
CREATE_ATTEMPTS = 8


class AccordPostgresApplicationRecorder(PostgresApplicationRecorder):
    def create_table(self) -> None:
        for attempt in range(CREATE_ATTEMPTS):
            try:
                super().create_table()
                return
            except (InternalError, IntegrityError, ProgrammingError):
                # "tuple concurrently updated", a unique violation on the catalogue, or
                # "relation ... already exists" (IF NOT EXISTS is not atomic either).
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.05 * (attempt + 1))

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        outcome.note_attempt(stored_events)
        patience = outcome.resolve_seconds()
        deadline = time.monotonic() + patience
        backoff = Backoff(first=0.1, longest=1.0)
        while True:
            try:
                return self._insert_once(stored_events, **kwargs)
            except (InterfaceError, OperationalError) as e:
                error: Exception = e
            # The COMMIT may or may not have happened: look, once the database answers.
            while True:
                if time.monotonic() > deadline:
                    raise outcome.OutcomeUnknownError(
                        f"the database connection failed during a save ({error}) and did not "
                        f"come back within {patience:.0f} s to tell whether it "
                        "was stored"
                    ) from error
                time.sleep(backoff.next())
                try:
                    found = self._stored_at(stored_events)
                except (InterfaceError, OperationalError) as again:
                    error = again
                    continue
                break
            if found is None:
                continue  # not stored: send it again
            return found

    def _insert_once(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        large = len(stored_events) > PIPELINE_MAX_EVENTS or (
            sum(len(e.state) for e in stored_events) > PIPELINE_MAX_BYTES
        )
        if not large or self.datastore.enable_db_functions:
            # eventsourcing's insert without its blind retry (see the module docstring).
            single_attempt = PostgresApplicationRecorder.insert_events.__wrapped__
            ids: Sequence[int] | None = single_attempt(self, stored_events, **kwargs)
            return ids
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def _stored_at(self, stored_events: Sequence[StoredEvent]) -> list[int] | None:
        """The notification ids of ``stored_events`` if exactly these bytes are stored at
        their ids and versions; ``None`` if none of them is; :class:`IntegrityError` if other
        events hold those versions. The events table is locked meanwhile, so a transaction
        of the failed connection that the server has not finished yet is waited for."""
        table = SQL("{}.{}").format(
            Identifier(self.datastore.schema), Identifier(self.events_table_name)
        )
        wanted = {(str(e.originator_id), e.originator_version): e for e in stored_events}
        found: dict[tuple[str, int], tuple[int, bytes]] = {}
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            curs.execute(SQL("SET LOCAL lock_timeout = '5s'"))
            curs.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(table))
            curs.execute(
                SQL(
                    "SELECT originator_id, originator_version, state, notification_id FROM {} "
                    "WHERE originator_id = ANY(%s) AND originator_version = ANY(%s)"
                ).format(table),
                (
                    list({e.originator_id for e in stored_events}),
                    list({e.originator_version for e in stored_events}),
                ),
            )
            for row in curs.fetchall():
                key = (str(row["originator_id"]), int(row["originator_version"]))
                if key in wanted:
                    found[key] = (int(row["notification_id"]), bytes(row["state"]))
        if not found:
            return None
        ours = all(key in found and found[key][1] == bytes(e.state) for key, e in wanted.items())
        if not ours:
            raise IntegrityError("other events are stored at these aggregate versions")
        return [found[(str(e.originator_id), e.originator_version)][0] for e in stored_events]
