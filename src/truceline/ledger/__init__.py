"""The evidence ledger: every change to the record, appended as a hash-chained entry.

`entry` defines an entry and its hashes, `chain` verifies a sequence of entries, `verify`
checks a store or a bundle against its ledger, `digest` signs the daily digest and `bundle`
writes the self-contained bundle a party verifies offline.
"""
