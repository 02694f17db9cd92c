"""Stored topics are part of the ledger's format, not of its source layout.

eventsourcing names a class in storage by ``module:qualname``. The aggregates were first written
from modules named ``ledger.<aggregate>`` (``ledger.commitment:Commitment.Made``); every stored
event, every Merkle leaf and every evidence bundle carries that name. When the code moved into
``ledger.domain``, the names stayed: :func:`pin_topics` makes each aggregate class and its event
classes keep their first topic both when events are written and when they are read back.

Call it at the bottom of every aggregate module, once the class is complete.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate
from eventsourcing.utils import _type_cache, register_topic

#: The module prefix every stored topic uses: ``ledger.<module>:<qualname>``.
STORED_PREFIX = "ledger."


def stored_topic(cls: type) -> str:
    """The topic ``cls`` is stored under: its module's last name under ``ledger.``."""
    return f"{STORED_PREFIX}{cls.__module__.rsplit('.', 1)[1]}:{cls.__qualname__}"


def pin_topics(aggregate: type[Aggregate]) -> None:
    """Write and resolve ``aggregate`` and every event class nested in it under their stored
    topics. eventsourcing's ``get_topic`` reads ``_type_cache`` first (a private name, pinned by
    ``tests/unit/test_topics.py``)."""
    classes: list[type] = [aggregate]
    classes += [
        value
        for value in vars(aggregate).values()
        if isinstance(value, type) and issubclass(value, Aggregate.Event)
    ]
    for cls in classes:
        topic = stored_topic(cls)
        register_topic(topic, cls)
        _type_cache[cls] = topic
