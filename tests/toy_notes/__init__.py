"""A toy context, in the tests only, proving that an aggregate needs nothing but its declaration.

``notes``: a customer-owned note, unique by ``(source, external_id)``, with
one special query (``latest``). It touches no file of relcore: the stores
are built with ``contexts=(*CONTEXTS, NOTES_CONTEXT)``, the one "registry line".
"""
