"""The metric mart: the dbt project as Dagster assets, one `@dbt_assets` per cadence.

Monthly and quarterly models are incremental and partitioned like the lake datasets they read;
the run's partition window reaches dbt as `--vars` (min_date inclusive, max_date exclusive), so a
range of partitions is one run and one dbt invocation. The marts and dimensions are rebuilt whole
after them. dbt tests appear in Dagster as asset checks.
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

from orchestration.partitions import monthly_partition, nhs_quarter_partition
from orchestration.resources import dbt_project, dbt_resource

MONTHLY_SELECTOR = "tag:monthly"
QUARTERLY_SELECTOR = "tag:quarterly"
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
            return "reference"
        folder = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else ""
        return GROUPS.get(folder, "mart")


TRANSLATOR = PeerbenchDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def _partition_vars(window: dg.TimeWindow) -> dict[str, str]:
    """The dbt vars of a partition window: the dates it covers, end exclusive."""
    return {
        "min_date": window.start.date().isoformat(),
        "max_date": window.end.date().isoformat(),
    }


def _build_args(vars_: Mapping[str, str] | None = None) -> list[str]:
    return ["build", *(["--vars", json.dumps(dict(vars_))] if vars_ else [])]


def _partitioned_dbt_assets(name: str, selector: str, partitions_def: dg.PartitionsDefinition):
    @dbt_assets(
        name=name,
        manifest=dbt_project().manifest_path,
        project=dbt_project(),
        select=selector,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=TRANSLATOR,
    )
    def _assets(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
        args = _build_args(_partition_vars(context.partition_time_window))
        yield from dbt.cli(args, context=context).stream()

    return _assets


monthly_dbt_models = _partitioned_dbt_assets(
    "monthly_dbt_models", MONTHLY_SELECTOR, monthly_partition
)
quarterly_dbt_models = _partitioned_dbt_assets(
    "quarterly_dbt_models", QUARTERLY_SELECTOR, nhs_quarter_partition
)


@dbt_assets(
    name="mart_dbt_models",
    manifest=dbt_project().manifest_path,
    project=dbt_project(),
    exclude=f"{MONTHLY_SELECTOR} {QUARTERLY_SELECTOR}",
    dagster_dbt_translator=TRANSLATOR,
)
def mart_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator:
    """Seeds, reference staging, the facts and the dimensions: rebuilt whole on every run."""
    yield from dbt.cli(_build_args(), context=context).stream()


defs = dg.Definitions(
    assets=[monthly_dbt_models, quarterly_dbt_models, mart_dbt_models],
    resources={"dbt": dbt_resource()},
)
