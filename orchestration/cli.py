"""The `peerbench` command line: prepare, generate demo data, refresh, publish, or all at once."""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from contracts.validation import mask_identifiers
from orchestration.settings import PSEUDONYM_KEY_ENV, Settings, get_settings, pseudonym_key

if TYPE_CHECKING:
    from dagster import DagsterInstance

QUERY_HINT = (
    ".venv/bin/python -c \"import duckdb; duckdb.connect('{warehouse}', read_only=True)"
    ".sql('from marts.fct_benchmark limit 5').show()\""
)
DEMO_LANDING_FOLDERS = (
    "community_indicators",
    "mhlda",
    "nhse_ae",
    "nhse_cwt",
    "nhse_mhsds",
    "nhse_rtt",
    "ods",
    "operational",
    "reference",
)


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
    """The Dagster instance in the home folder (unless DAGSTER_HOME, set and not blank, says
    otherwise)."""
    from dagster import DagsterInstance

    home = os.environ.get("DAGSTER_HOME", "").strip() or str(settings.dagster_home)
    os.environ["DAGSTER_HOME"] = home
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
    from orchestration.demo_data import DemoConfig, generate, land_reference_files

    settings = get_settings()
    for folder in DEMO_LANDING_FOLDERS:
        shutil.rmtree(settings.landing / folder, ignore_errors=True)
    config = DemoConfig(seed=args.seed, last_month=args.last_month)
    counts = generate(settings.landing, config)
    counts["reference files"] = land_reference_files(settings.landing, settings.real_data_dir)
    if not counts["reference files"]:
        print(
            f"note: no ONS population or IMD file in {settings.real_data_dir}: the members' "
            "catchments, and their nearest-neighbour peer groups, wait for them in landing"
        )
    print(f"demo data in {settings.landing}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    return 0


def check_settings(settings: Settings, *, needs_key: bool = True) -> None:
    """Everything a writing command needs, checked before it writes anything: the key, a home it
    can write to, and the dbt manifest Dagster loads."""
    from orchestration.resources import dbt_project

    if needs_key:
        pseudonym_key()
    settings.home.mkdir(parents=True, exist_ok=True)
    if not os.access(settings.home, os.W_OK):
        raise RuntimeError(f"the home folder {settings.home} is not writable")
    if not dbt_project().manifest_path.exists():
        raise RuntimeError("the dbt manifest is missing: run `peerbench prepare` first")


def refresh(args: argparse.Namespace) -> int:
    """The register and calendar, the lake partitions whose landing files changed (one run per
    cadence over their range), then the whole mart in one dbt build over the changed periods."""
    settings = get_settings()
    _use_local_key(settings, create=False)
    check_settings(settings)
    from orchestration.definitions import defs
    from orchestration.jobs import MART_REFRESH_JOB, REFERENCE_REFRESH_JOB
    from orchestration.registry import scan_landing
    from orchestration.runs import (
        FULL_WINDOW,
        fail_abandoned_runs,
        mart_window,
        plan_refresh,
        range_tags,
        record_mart_built,
        record_mart_pending,
        reference_fingerprint,
        run_job,
    )

    instance = _instance(settings)
    for run_id in fail_abandoned_runs(instance):
        print(f"marked run {run_id} failed: the process that started it is gone")
    now = datetime.now()
    last = args.to or now.strftime("%Y-%m")
    scan = scan_landing(settings.landing)
    for relative, reason in scan.unrecognised.items():
        print(f"warning: {mask_identifiers(relative)} {reason}: not read")
    outcomes = [run_job(defs, REFERENCE_REFRESH_JOB, instance)]
    plan = plan_refresh(
        scan, settings.landing, settings.lake, args.start, last, now, full=args.full
    )
    # the mart is incremental by period: a new month rebuilds that month (and the statistics of
    # the month after); new reference data (catalogue, calendar, register) rebuilds everything.
    # The window is owed before the lake changes: once a partition is written it no longer looks
    # changed, so a refresh killed between a lake run and the mart build must leave it recorded
    window = mart_window(settings, plan, full=args.full)
    if window:
        record_mart_pending(settings, window)
    for job, keys in plan.partitions.items():
        if keys:
            outcomes.append(run_job(defs, job, instance, tags=range_tags(keys[0], keys[-1])))
        else:
            print(f"{job}: nothing new in landing, no run")
    if window:
        full = window == FULL_WINDOW
        reference = reference_fingerprint(settings)
        vars_ = {"min_date": window[0], "max_date": window[1]}
        config = {"ops": {"mart_dbt_models": {"config": {**vars_, "full_refresh": full}}}}
        outcome = run_job(defs, MART_REFRESH_JOB, instance, run_config=config)
        outcomes.append(outcome)
        if outcome.success:
            record_mart_built(settings, reference)
    return _report(outcomes)


def publish(args: argparse.Namespace) -> int:
    """Evaluate the publication schedules now (or at --as-of) and start the runs they ask for."""
    settings = get_settings()
    _use_local_key(settings, create=False)
    check_settings(settings)
    from orchestration.definitions import defs
    from orchestration.runs import fail_abandoned_runs, publish_due

    instance = _instance(settings)
    fail_abandoned_runs(instance)
    as_of = datetime.combine(args.as_of, datetime.min.time()) if args.as_of else datetime.now()
    outcomes = publish_due(defs, instance, as_of)
    if not outcomes:
        print("no window is due: every closed window with data is published")
    return _report(outcomes)


def pack(args: argparse.Namespace) -> int:
    """Packs (PDF, deck, workbook, chart images) for a published window that has none: history
    is published without them (each costs about a second per organisation)."""
    settings = get_settings()
    _use_local_key(settings, create=False)
    check_settings(settings)
    import duckdb

    from assets.publications import add_packs
    from orchestration.calendar import window
    from orchestration.collections import COLLECTIONS

    collection = COLLECTIONS[args.collection]
    try:
        partition_key = collection.partition_key_of(args.period)
        window_ = window(collection.code, partition_key)
    except (ValueError, KeyError) as error:
        print(f"error: {args.period!r} is not a {collection.code} period ({error})")
        return 2
    if window_.period_label != args.period or not settings.warehouse.exists():
        print(f"error: no {collection.code} window {args.period!r} in {settings.home}")
        return 2
    with duckdb.connect(str(settings.warehouse), read_only=True) as warehouse:
        try:
            named = frozenset(args.organisation) if args.organisation else None
            folder = add_packs(warehouse, settings.published, window_, pseudonym_key(), named)
        except ValueError as error:
            print(f"error: {error}")
            return 1
    print(f"packs in {folder}")
    return 0


def fetch(args: argparse.Namespace) -> int:
    """Download a national source's published files into landing/, then `peerbench refresh`."""
    from orchestration.fetch import FetchError, latest_expected, months_between
    from orchestration.fetch import fetch as fetch_file
    from orchestration.registry import SOURCES, STATIC_PERIOD

    settings = get_settings()
    source = SOURCES[args.source]
    if source.cadence == "static":
        if args.period or args.to:
            print(f"error: {source.name} is one file, not published by period: no --period")
            return 2
        periods = [STATIC_PERIOD]
    else:
        last = args.to or args.period or latest_expected(source, date.today())
        periods = months_between(args.period or last, last)
        if not periods:
            print(f"error: --to {last} is before {args.period}")
            return 2
    failed = 0
    for period in periods:
        try:
            got = fetch_file(source, period, settings, force=args.force)
        except FetchError as error:
            print(f"error: {error}")
            failed += 1
            continue
        how = "from cache" if got.from_cache else "downloaded"
        what = "landed" if got.changed else "unchanged"
        print(f"{what:9} {got.landed} ({got.bytes:,} bytes, sha256 {got.sha256[:16]}, {how})")
    if len(periods) > failed:
        print("load them and rebuild the mart: peerbench refresh")
    return 1 if failed else 0


def validate(args: argparse.Namespace) -> int:
    """Check a file before it is sent, as ingest will: every problem located; status 1 when
    ingest would refuse it."""
    from orchestration.validate import report
    from orchestration.validate import validate as judge

    try:
        verdict = judge(
            args.file, get_settings(), named_as=args.named_as, register_path=args.register
        )
    except ValueError as error:
        print(f"peerbench validate: {mask_identifiers(str(error))}", file=sys.stderr)
        return 1
    print(report(verdict))
    return 1 if verdict.refused else 0


def template(args: argparse.Namespace) -> int:
    """The Excel template of a collection's return for a period, named as its landing file."""
    from orchestration.template import plan_template, write_template

    try:
        planned = plan_template(args.collection, args.period, args.organisation, datetime.now())
    except ValueError as error:
        print(f"peerbench template: {error}", file=sys.stderr)
        return 2
    path = write_template(planned, args.output)
    print(f"template: {path} ({len(planned.rows)} rows)")
    if planned.organisation is None:
        print("  type your organisation code on its Instructions sheet and rename the file with it")
    print(f"  fill it in, then land it in {planned.landing_folder}/ (check: peerbench validate)")
    return 0


def status(args: argparse.Namespace) -> int:
    """Each collection's windows (open, closed, published, stale), missing and late submitters,
    quarantined and unrecognised files. Reads only: no key, no Dagster instance, no writes."""
    from orchestration.collections import COLLECTIONS
    from orchestration.status import report

    collections = [args.collection] if args.collection else list(COLLECTIONS)
    as_of = args.as_of or date.today()
    print(report(get_settings(), as_of, collections, show_all=args.all))
    return 0


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
            "--last-month",
            type=month_argument,
            help="last month of demo data, YYYY-MM (default: last ended)",
        )
    for sub in (
        command("refresh", refresh, "single-run backfills of every asset over a range of periods"),
        commands.choices["demo"],
    ):
        sub.add_argument(
            "--start", default="2016-04", type=month_argument, help="first month, YYYY-MM"
        )
        sub.add_argument(
            "--to", type=month_argument, help="last month, YYYY-MM (default: this month)"
        )
        sub.add_argument(
            "--full", action="store_true", help="rebuild every partition, changed or not"
        )
    for sub in (
        command("publish", publish, "publish every closed, unpublished window"),
        commands.choices["demo"],
    ):
        sub.add_argument(
            "--as-of", type=date_argument, help="evaluate the schedules at this date (YYYY-MM-DD)"
        )
    sub = command("pack", pack, "add packs (PDF, deck, workbook, charts) to a published window")
    sub.add_argument("collection", type=collection_argument)
    sub.add_argument("period", help="the window's period: YYYY-MM, or YYYY-YY-Qn for MHLDA")
    sub.add_argument(
        "--organisation",
        action="append",
        metavar="CODE",
        help="only this organisation's pack (repeat for more); default: every organisation's",
    )
    sub = command("fetch", fetch, "download a national source's published files into landing/")
    sub.add_argument("source", type=published_source_argument)
    sub.add_argument(
        "--period", type=month_argument, help="the month (YYYY-MM), or the first of a range"
    )
    sub.add_argument("--to", type=month_argument, help="the last month of a range (YYYY-MM)")
    sub.add_argument("--force", action="store_true", help="download again, cache or not")
    sub = command("validate", validate, "check a return (any landing file) as ingest would")
    sub.add_argument("file", type=existing_file_argument)
    sub.add_argument(
        "--as", dest="named_as", metavar="LANDING_PATH",
        help="the landing path it will be sent as (e.g. community_indicators/2024-06/"
        "ZAA_20240703T0900.csv), when its own folders do not say",
    )  # fmt: skip
    sub.add_argument(
        "--register", type=existing_file_argument, help="an organisation register to check against"
    )
    sub = command("template", template, "the Excel template of a return, from the catalogue")
    sub.add_argument("collection", type=template_collection_argument)
    sub.add_argument("period", help="the return's period: YYYY-MM, or YYYY-YY-Qn for MHLDA")
    sub.add_argument("--organisation", help="the submitter's code (default: a blank to fill)")
    sub.add_argument(
        "--output", type=Path, default=Path("."), help="the folder to write it in (default: here)"
    )
    sub = command("status", status, "windows, missing and late submitters, quarantined files")
    sub.add_argument("--collection", type=collection_argument, help="one collection only")
    sub.add_argument(
        "--as-of", type=date_argument, help="judge the windows at this date (YYYY-MM-DD)"
    )
    sub.add_argument("--all", action="store_true", help="every window, not only the latest")
    return parser


def month_argument(text: str) -> str:
    """A month written YYYY-MM, or a one-line error (argparse exits with status 2)."""
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month written YYYY-MM") from None
    if len(text) != 7:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month written YYYY-MM")
    return text


def existing_file_argument(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return path


def date_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date written YYYY-MM-DD") from None


def collection_argument(text: str) -> str:
    from orchestration.collections import COLLECTIONS

    if text not in COLLECTIONS:
        known = ", ".join(COLLECTIONS)
        raise argparse.ArgumentTypeError(f"{text!r} is not a collection ({known})")
    return text


def template_collection_argument(text: str) -> str:
    from orchestration.template import template_sources

    if text not in template_sources():
        known = ", ".join(template_sources())
        raise argparse.ArgumentTypeError(f"{text!r} is not a collection providers return ({known})")
    return text


def published_source_argument(text: str) -> str:
    from orchestration.registry import SOURCES

    published = [name for name, source in SOURCES.items() if source.publication]
    if text not in published:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a source with a publisher ({', '.join(published)})"
        )
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "to", None) and getattr(args, "start", None) and args.to < args.start:
        parser.error(f"--to {args.to} is before --start {args.start}")
    try:
        return args.function(args)
    except RuntimeError as error:
        print(f"peerbench: {mask_identifiers(str(error))}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
