"""Adjudication: each incident judged against the agreement, with an explanation."""
