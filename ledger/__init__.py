"""The ledger: everything Accord records and how it keeps it. Imports neither ``projections`` nor
``api``.

* :mod:`ledger.domain` — aggregates and their events, values, errors, roles (no storage).
* :mod:`ledger.service` — the application (``Ledger``) and its commands.
* :mod:`ledger.storage` — settings, recorders, transcoding, SQL, the one reader of the event
  log's tables, the document store.
* :mod:`ledger.integrity` — the Merkle log, signed checkpoints, evidence bundles and their checks.
* :mod:`ledger.interchange` — what comes in and goes out: imports, exports, calendar, the demo.
"""
