"""The runtime: daemons sharing one schedule in Redis (``service``), their claims and leases
(``claims``), live keywords (``keywords``), parse workers (``workers``) and what keeps those
workers from outliving the daemon (``lifeline``, the forkserver's preload ``_forkserver``).

Nothing is imported here: the forkserver imports ``_forkserver`` and must not bring in the
scheduler, aiohttp and Redis with it.
"""
