"""The branch export contract as code: code lists, report specs, names.

Everything else (generator, ingestion, quality, reports) depends on this package; it depends
on nothing of the project.
"""
