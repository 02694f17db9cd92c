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
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, InternalError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

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
        large = len(stored_events) > PIPELINE_MAX_EVENTS or (
            sum(len(e.state) for e in stored_events) > PIPELINE_MAX_BYTES
        )
        if not large or self.datastore.enable_db_functions:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
