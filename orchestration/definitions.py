"""The one code location: every module's definitions merged, plus the jobs derived from them."""

from __future__ import annotations

import dagster as dg

from assets import dbt, indicators, national, operational, publications, reference
from orchestration.jobs import build_jobs
from orchestration.schedules import publication_schedules

_modules = dg.Definitions.merge(
    reference.defs,
    indicators.defs,
    national.defs,
    operational.defs,
    dbt.defs,
    publications.defs,
)
_assets = [a for a in _modules.assets or [] if isinstance(a, dg.AssetsDefinition)]

defs = dg.Definitions.merge(
    _modules,
    dg.Definitions(jobs=build_jobs(_assets), schedules=publication_schedules),
)
