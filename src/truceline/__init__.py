"""Truceline: ceasefire monitoring and verification.

The package follows the data flow of a monitoring mission:

    agreement  -> what the parties agreed (line, zones, rules), as versioned data
    sources    -> adapters that turn real feed formats into observations
    observations -> the validated, located, graded reports
    fusion     -> observations of the same event become one incident
    adjudication -> each incident judged against the agreement, with an explanation
    store      -> everything kept, queryable, in SQLite (or, later, PostgreSQL)
"""

__version__ = "0.1.0"
