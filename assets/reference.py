"""Reference data that arrives as files: the register of participating organisations."""

import dagster as dg

from assets.lake import PartitionIngest, contract_check, ingest_partition, write_atomically
from contracts.organisation_register import read_organisation_register
from orchestration.settings import get_settings

REGISTER = "reference/organisations.csv"


@dg.asset(
    group_name="reference",
    check_specs=[dg.AssetCheckSpec("contract", asset="organisations")],
    kinds={"parquet", "pandas"},
)
def organisations(context: dg.AssetExecutionContext):
    """The membership register: every participating organisation's ODS code, name, type and
    region. A bad register is quarantined and the previous lake copy kept."""
    settings = get_settings()
    path = settings.landing / REGISTER
    ingest: PartitionIngest = ingest_partition(
        [path] if path.exists() else [],
        read_organisation_register,
        landing=settings.landing,
        quarantine=settings.quarantine,
        dataset="organisations",
        period="current",
        log=context.log,
    )
    if ingest.frames:
        write_atomically(ingest.frame, settings.lake / "organisations")
    yield dg.MaterializeResult(metadata={"rows": len(ingest.frame)})
    yield contract_check([ingest], dg.AssetKey("organisations"))


defs = dg.Definitions(assets=[organisations])
