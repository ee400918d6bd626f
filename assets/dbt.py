"""The metric mart: the whole dbt project as one `@dbt_assets`, built by one `dbt build` per
refresh (each dbt invocation costs seconds of fixed CPU before it does any work).

The intermediate models are incremental by period: a refresh passes the range of periods whose
lake partitions changed (start inclusive, end exclusive), so a new month rebuilds that month's
rows. It passes them in the environment of dbt's process, not as `--vars`: dbt parses the whole
project again when `--vars` change, but only the files that read a changed environment variable,
and each home's builds keep dbt's parse state in the home (`Settings.dbt_target`) for the next.
dbt tests appear in Dagster as asset checks.
"""

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.resources import HomeResource, dbt_project
from orchestration.settings import Settings

GROUPS = {"staging": "mart_staging", "intermediate": "mart_intermediate", "marts": "mart"}


class PeerbenchDbtTranslator(DagsterDbtTranslator):
    """Keys are model names (schemas are a warehouse detail); groups follow the model's folder
    (staging, intermediate, marts); seeds are reference data."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # mapped to the lake asset
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "mart_seeds"
        folder = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else ""
        return GROUPS.get(folder, "mart")


TRANSLATOR = PeerbenchDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


UNIT_TESTS_LEFT_OUT = ["--exclude-resource-type", "unit_test"]


def build_args(vars_: Mapping[str, str] | None = None, *, full_refresh: bool = False) -> list[str]:
    """`dbt build`; a full refresh recreates the incremental models (after a change of reference
    data or of a model's columns) instead of deleting and inserting. The profile reads DuckDB's
    memory limit and spill folder from the vars (`duckdb_vars`: the same for every build of a
    home). dbt's unit tests test the SQL, not the data, so a refresh leaves them out (dbt's
    advice for production builds); the test suite runs every one of them."""
    return [
        "build",
        *UNIT_TESTS_LEFT_OUT,
        *(["--vars", json.dumps(dict(vars_))] if vars_ else []),
        *(["--full-refresh"] if full_refresh else []),
    ]


def duckdb_vars(settings: Settings) -> dict[str, str]:
    """The home's DuckDB settings as the vars `profiles.yml` reads them."""
    return {f"duckdb_{name}": value for name, value in settings.duckdb_config.items()}


def window_env(min_date: str, max_date: str) -> dict[str, str]:
    """The window [min_date, max_date) as the dbt project reads it from its process's
    environment (macros/partition_window.sql)."""
    return {"PEERBENCH_WINDOW_START": min_date, "PEERBENCH_WINDOW_END": max_date}


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """These environment variables set inside the block, and as they were after it (dagster-dbt
    starts dbt's process with this process's environment and takes no other)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


PARSE_STATE = "partial_parse.msgpack"
PARSED_PROJECT = "parsed_project.txt"  # beside it: the project folder the state was parsed from


def parse_state_for(target: Path, project_dir: Path) -> None:
    """Keep dbt's saved parse state in `target` only if it was parsed from `project_dir`.

    The state holds the project's absolute paths (a seed is loaded from the path saved when it
    was parsed) and dbt does not check them, so a home built by an installation elsewhere (an
    older checkout, another virtualenv) would load seeds from a folder that may be gone. Without
    the state, dagster-dbt starts from the project's own (`peerbench prepare`) and dbt parses
    the whole project once."""
    marker = target / PARSED_PROJECT
    if marker.exists() and marker.read_text() == str(project_dir):
        return
    (target / PARSE_STATE).unlink(missing_ok=True)
    target.mkdir(parents=True, exist_ok=True)
    marker.write_text(str(project_dir))


class DbtConfig(dg.Config):
    """The period range a refresh changed (end exclusive): incremental models rebuild only those
    months; the wide defaults rebuild everything."""

    min_date: str = "1900-01-01"
    max_date: str = "2999-12-31"
    full_refresh: bool = False


@dbt_assets(
    name="mart_dbt_models",
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    dagster_dbt_translator=TRANSLATOR,
)
def mart_dbt_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, home: HomeResource, config: DbtConfig
) -> Iterator:
    """The whole mart in one `dbt build`: seeds, staging, the incremental intermediates over the
    changed periods, facts and dimensions, and every dbt test as an asset check."""
    settings = home.settings
    args = build_args(duckdb_vars(settings), full_refresh=config.full_refresh)
    parse_state_for(settings.dbt_target, dbt_project().project_dir)
    with environment(window_env(config.min_date, config.max_date)):
        invocation = dbt.cli(
            args, context=context.op_execution_context, target_path=settings.dbt_target
        )
    yield from invocation.stream()


defs = dg.Definitions(assets=[mart_dbt_models])
