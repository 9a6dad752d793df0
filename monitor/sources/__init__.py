"""The watched sources: ``registry`` keeps them in Redis (seed, add, remove, enable, disable,
list, status rows), ``opml`` reads and writes OPML subscription lists, ``urls`` says which
source URLs are taken.

Nothing is imported here: ``config`` imports ``urls`` and must not bring in Redis with it.
"""
