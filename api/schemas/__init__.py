"""Request and response models of the HTTP API, one module per resource: ``XCreate`` to create,
one model per lifecycle step, ``XPublic`` for an item and ``XsPublic`` for a page of them."""
