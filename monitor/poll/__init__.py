"""One poll of one source, as a straight line: ``fetch`` (bytes), ``documents`` (``parse`` for
feeds with ``feeditems`` for their raw items and caps, ``extract`` for pages), ``diff``,
``alerts``, with ``changes`` running diff, match and alerts as one step the worker pool can
take, ``follow`` for a feed's linked pages, ``policy`` for when the source is due next, and
``pipeline`` putting them together. ``snapshots`` runs the same steps offline (``check``).

Nothing is imported here: each command imports only the modules it needs (start-up time), and
the pure ones stay free of aiohttp and Redis.
"""
