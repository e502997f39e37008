"""Run plumbing: what it takes to execute the Dagster jobs in this process.

- ``manifest``: dbt's manifest for the run's settings (``dbt parse``, skipped when current);
- ``instance``: the Dagster instance folder and its ``dagster.yaml``;
- ``jobs``: which partitions a run covers, and the two jobs executed in process;
- ``steps``: the run's events read into one report per step and the run's summary.

The command line (``pipelines.cli``) only parses, calls these and prints.
"""
