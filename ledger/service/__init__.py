"""The service layer: :class:`~ledger.service.application.Ledger` (an eventsourcing
``Application``) and its commands, one mixin per aggregate in :mod:`ledger.service.commands`.
Every command takes an ``Act`` built from the credential, checks roles, and saves atomically."""
