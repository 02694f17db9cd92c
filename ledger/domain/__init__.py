"""The domain: one module per aggregate (its events, rules and errors), and what they share —
:mod:`~ledger.domain.envelope` (the ``Act`` and the aggregate base), :mod:`~ledger.domain.values`,
:mod:`~ledger.domain.errors`, :mod:`~ledger.domain.roles`, :mod:`~ledger.domain.validation`,
:mod:`~ledger.domain.ids`. Nothing here touches storage."""
