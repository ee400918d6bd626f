"""Resources: the dbt project and CLI. Kept apart from the dbt assets so that the manifest can be
prepared (`peerbench prepare`) before anything that needs it is imported."""

import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.settings import DBT_PROJECT_DIR

# dbt installed beside this interpreter, so a run works without the virtualenv on PATH
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")


@cache
def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)


def prepare_manifest() -> None:
    """`dbt parse`: writes the manifest the dbt assets need when the definitions load."""
    dbt_resource().cli(["parse", "--quiet"], target_path=dbt_project().target_path).wait()
