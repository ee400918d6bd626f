"""The one code location: every module's definitions merged, plus the jobs derived from them and
the resources every asset reaches settings, the key and the warehouse through."""

import dagster as dg

from assets import dbt, indicators, national, operational, publications, reference
from orchestration.jobs import build_jobs
from orchestration.resources import peerbench_resources
from orchestration.schedules import freshness_schedule, publication_schedules
from orchestration.sensors import build_landing_sensor


def build_definitions() -> dg.Definitions:
    """Merge each module's own definitions; jobs are derived from the assets they bring."""
    modules = dg.Definitions.merge(
        reference.defs,
        indicators.defs,
        national.defs,
        operational.defs,
        dbt.defs,
        publications.defs,
    )
    assets = [a for a in modules.assets or [] if isinstance(a, dg.AssetsDefinition)]
    jobs = build_jobs(assets)
    return dg.Definitions.merge(
        modules,
        dg.Definitions(
            jobs=jobs,
            schedules=[*publication_schedules, freshness_schedule],
            sensors=[build_landing_sensor(jobs)],
            resources=peerbench_resources(),
        ),
    )


defs = build_definitions()
