"""Dagster wrappers: assets, resources, jobs. Thin by design; the work lives in the domain
packages (ingest, generate, quality, reports), which never import Dagster."""
