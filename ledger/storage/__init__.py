"""Storage: database settings (:mod:`~ledger.storage`), the recorders and transcoder,
the SQL helper, the one reader of eventsourcing's tables (:mod:`~ledger.storage.reading`,
:mod:`~ledger.storage.sql`) and the document store for originals. Nothing outside this package
reads eventsourcing's tables."""
