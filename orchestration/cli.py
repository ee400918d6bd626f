"""The `peerbench` command line: prepare, generate demo data, refresh, publish, or all at once."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
import warnings
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from orchestration.settings import PSEUDONYM_KEY_ENV, Settings, get_settings

if TYPE_CHECKING:
    from dagster import DagsterInstance

QUERY_HINT = (
    ".venv/bin/python -c \"import duckdb; duckdb.connect('{warehouse}', read_only=True)"
    ".sql('from marts.fct_benchmark limit 5').show()\""
)
DEMO_LANDING_FOLDERS = ("community_indicators", "mhlda", "nhse_ae", "operational", "reference")


def _use_local_key(settings: Settings, create: bool) -> None:
    """Use the home folder's own pseudonymisation key when the environment gives none.

    Only the demo creates one: elsewhere the key must come from the environment (a secret store).
    """
    if os.environ.get(PSEUDONYM_KEY_ENV):
        return
    if not settings.key_file.exists() and create:
        settings.home.mkdir(parents=True, exist_ok=True)
        settings.key_file.write_text(secrets.token_hex(32))
        settings.key_file.chmod(0o600)
    if settings.key_file.exists():
        os.environ[PSEUDONYM_KEY_ENV] = settings.key_file.read_text().strip()


def _instance(settings: Settings) -> DagsterInstance:
    """The Dagster instance in the home folder (unless DAGSTER_HOME says otherwise)."""
    from dagster import DagsterInstance

    home = os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    os.makedirs(home, exist_ok=True)
    config = os.path.join(home, "dagster.yaml")
    if not os.path.exists(config):
        with open(config, "w") as handle:
            handle.write("telemetry:\n  enabled: false\n")
    return DagsterInstance.get()


def prepare(_: argparse.Namespace) -> int:
    """Parse the dbt project so the manifest exists when Dagster loads the definitions."""
    from orchestration.resources import dbt_project, prepare_manifest

    prepare_manifest()
    print(f"dbt manifest ready: {dbt_project().manifest_path}")
    return 0


def demo_data(args: argparse.Namespace) -> int:
    from orchestration.demo_data import DemoConfig, generate

    settings = get_settings()
    for folder in DEMO_LANDING_FOLDERS:
        shutil.rmtree(settings.landing / folder, ignore_errors=True)
    config = DemoConfig(seed=args.seed, last_month=args.last_month)
    counts = generate(settings.landing, config)
    print(f"demo data in {settings.landing}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def refresh(args: argparse.Namespace) -> int:
    """Single-run backfills: every monthly and quarterly partition in the range, then the marts."""
    from orchestration.definitions import defs
    from orchestration.partitions import monthly_partition, nhs_quarter_partition
    from orchestration.runs import partition_keys_between, range_tags, run_job

    settings = get_settings()
    _use_local_key(settings, create=False)
    instance = _instance(settings)
    now = datetime.now()
    last = args.to or now.strftime("%Y-%m")
    outcomes = []
    for job_name, partitions_def in (
        ("monthly_refresh_job", monthly_partition),
        ("quarterly_refresh_job", nhs_quarter_partition),
    ):
        keys = partition_keys_between(partitions_def, f"{args.start}-01", f"{last}-01", now)
        if keys:
            outcomes.append(run_job(defs, job_name, instance, tags=range_tags(keys[0], keys[-1])))
    outcomes.append(run_job(defs, "mart_refresh_job", instance))
    return _report(outcomes)


def publish(args: argparse.Namespace) -> int:
    """Evaluate the publication schedules now (or at --as-of) and start the runs they ask for."""
    from orchestration.definitions import defs
    from orchestration.runs import publish_due

    settings = get_settings()
    _use_local_key(settings, create=False)
    as_of = datetime.fromisoformat(args.as_of) if args.as_of else datetime.now()
    outcomes = publish_due(defs, _instance(settings), as_of)
    if not outcomes:
        print("no window is due: every closed window with data is published")
    return _report(outcomes)


def demo(args: argparse.Namespace) -> int:
    """Everything a new user needs to see the platform work, then where to look."""
    settings = get_settings()
    _use_local_key(settings, create=True)
    for step in (demo_data, refresh, publish):
        started = time.perf_counter()
        if step(args):
            return 1
        print(f"  ({step.__name__.replace('_', '-')}: {time.perf_counter() - started:.1f} s)")
    print(
        f"\nwarehouse:    {settings.warehouse}\n"
        f"publications: {settings.published}\n"
        f"lake:         {settings.lake}\n"
        f"query it:     {QUERY_HINT.format(warehouse=settings.warehouse)}\n"
        "Dagster UI:   "
        f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} PEERBENCH_HOME={settings.home} "
        f"PEERBENCH_PSEUDONYM_KEY=$(cat {settings.key_file}) "
        ".venv/bin/dagster dev -w workspace.yaml"
    )
    return 0


def _report(outcomes: Sequence) -> int:
    for outcome in outcomes:
        state = "ok" if outcome.success else "FAILED"
        print(f"{state:6} {outcome.job} [{outcome.partitions}] run {outcome.run_id}")
    return 0 if all(o.success for o in outcomes) else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peerbench", description="Open, automated benchmarking for health and care services."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, function, help_: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_, description=help_)
        sub.set_defaults(function=function)
        return sub

    command("prepare", prepare, "parse the dbt project (the manifest Dagster loads)")
    for sub in (
        command("demo-data", demo_data, "generate demo landing files (deterministic per seed)"),
        command("demo", demo, "demo data, refresh everything, publish every closed window"),
    ):
        sub.add_argument("--seed", type=int, default=2026)
        sub.add_argument(
            "--last-month", help="last month of demo data, YYYY-MM (default: last ended)"
        )
    for sub in (
        command("refresh", refresh, "single-run backfills of every asset over a range of periods"),
        commands.choices["demo"],
    ):
        sub.add_argument("--start", default="2020-04", help="first month, YYYY-MM")
        sub.add_argument("--to", help="last month, YYYY-MM (default: this month)")
    for sub in (
        command("publish", publish, "publish every closed, unpublished window"),
        commands.choices["demo"],
    ):
        sub.add_argument("--as-of", help="evaluate the schedules at this date (YYYY-MM-DD)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    warnings.filterwarnings("ignore", module="dagster")
    args = build_parser().parse_args(argv)
    return args.function(args)


if __name__ == "__main__":
    sys.exit(main())
