"""Access: organisations, users, API tokens and releasability — no one reads what they
may not.

- `truceline.access.marking`: releasability markings, their canonical form and lattice.
- `truceline.access.model`: organisations, users, roles, token records, principals.
- `truceline.access.policy`: what a principal may read, as a predicate and a SQL filter.
- `truceline.access.tokens`: making and checking API tokens (only digests are kept).
- `truceline.access.directory`: organisations, users and tokens in the store.

This module imports none of them, so that the observation model can import the markings
without an import cycle.
"""
