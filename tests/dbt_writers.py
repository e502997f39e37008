"""The writers of ``dbt_project/scripts`` (seeds and macros written from the contract), loaded as
modules for the drift tests (the folder is not a package)."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from pipelines.settings import DBT_PROJECT_DIR


def dbt_script(name: str) -> ModuleType:
    path = DBT_PROJECT_DIR / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
