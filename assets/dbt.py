"""The metric mart: the whole dbt project as one `@dbt_assets`, built by one `dbt build` per
refresh (each dbt invocation costs seconds of fixed CPU before it does any work).

The intermediate models are incremental by period: a refresh passes the range of periods whose
lake partitions changed as `--vars` (min_date inclusive, max_date exclusive), so a new month
rebuilds that month's rows. dbt tests appear in Dagster as asset checks.
"""

import json
from collections.abc import Iterator, Mapping
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
    """`dbt build` over a period window; a full refresh recreates the incremental models (after a
    change of reference data or of a model's columns) instead of deleting and inserting. The
    profile reads DuckDB's memory limit and spill folder from the vars too (`duckdb_vars`).
    dbt's unit tests test the SQL, not the data, so a refresh leaves them out (dbt's advice for
    production builds); the test suite runs every one of them."""
    return [
        "build",
        *UNIT_TESTS_LEFT_OUT,
        *(["--vars", json.dumps(dict(vars_))] if vars_ else []),
        *(["--full-refresh"] if full_refresh else []),
    ]


def duckdb_vars(settings: Settings) -> dict[str, str]:
    """The home's DuckDB settings as the vars `profiles.yml` reads them."""
    return {f"duckdb_{name}": value for name, value in settings.duckdb_config.items()}


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
    vars_ = {"min_date": config.min_date, "max_date": config.max_date}
    vars_ |= duckdb_vars(home.settings)
    args = build_args(vars_, full_refresh=config.full_refresh)
    yield from dbt.cli(args, context=context.op_execution_context).stream()


defs = dg.Definitions(assets=[mart_dbt_models])
