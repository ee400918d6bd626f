"""The source registry: one declaration per source, read by the assets, the calendar, the CLI and
the landing scan.

Each entry says where a source's files land and how they are named, which lake dataset and
contract they feed, their cadence, who may submit them (and how a file names its submitter),
whether they carry service lines, and which collection (window calendar, publication) they
belong to. A file under `landing/` that no entry recognises is reported, never skipped in silence.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import dagster as dg

from contracts.ae_history import ae_history_contract
from contracts.ae_monthly import MONTH_NAMES, ae_monthly_contract
from contracts.cwt import CWT_LANDING, cwt_contract, workbook_csv
from contracts.imd import imd_contract
from contracts.indicator_return import indicator_return_contract
from contracts.indicator_workbook import workbook_reader
from contracts.metric_catalogue import metric_catalogue
from contracts.mhsds import mhsds_contract
from contracts.ods_epraccur import ods_epraccur_contract
from contracts.ods_etr import ods_ephp_contract, ods_etr_contract
from contracts.ods_succ import ods_succ_contract
from contracts.ons_population import ons_population_contract
from contracts.operational_extracts import (
    comparators_contract,
    epr_contacts_contract,
    epr_referrals_contract,
    eroster_shifts_contract,
    esr_staff_contract,
    teams_contract,
)
from contracts.organisation_register import organisation_register_contract
from contracts.rtt import rtt_contract
from contracts.validation import Contract
from orchestration.partitions import (
    months_of,
    period_label,
    quarter_months,
    time_partitions,
)

ORG = r"(?P<org>[A-Z0-9]{3,5})"
STAMP = r"(?P<stamp>\d{8}T\d{4})"
MONTH = r"(?P<period>\d{4}-(?:0[1-9]|1[0-2]))"
QUARTER = r"(?P<period>\d{4}-\d{2}-Q[1-4])"
STAMP_FORMAT = "%Y%m%dT%H%M"


def parse_stamp(stamp: str) -> datetime:
    """A submission stamp (STAMP: `20240915T0900`) as a time; ValueError when it is no real
    time. What `datetime.strptime(stamp, STAMP_FORMAT)` gives, at a tenth of its cost (the
    landing scan reads one per file, tens of thousands at national scale)."""
    return datetime(
        int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[9:11]), int(stamp[11:13])
    )


RETURN = r"(?:csv|xlsx)"  # a return: the long CSV, or the Excel template filled in


OGL = "Open Government Licence v3.0"


@dataclass(frozen=True)
class Publication:
    """Where a publisher releases a source's file for a period, for `peerbench fetch`.

    `url` is a template of the file's URL, or, when `link` is set, of the index page that lists
    it, `link` being the pattern of the file's name there (a regular expression; templates are
    `str.format` strings, so a regex's own braces are doubled). Template fields: period, year, yy,
    month, month_name, MONTH_NAME, month_name_lower, mon, financial_year, and published_year /
    published_month (of the publication day in the collection's calendar). An archive's member
    matching `archive_member` is landed."""

    publisher: str
    dataset: str
    folder: str  # the landing folder its files go to
    url: str
    link: str = ""
    archive_member: str = ""
    licence: str = OGL
    format: str = "csv"


@dataclass(frozen=True)
class Source:
    """One landing format and the lake dataset it feeds."""

    name: str  # lake dataset and asset name
    # asset group: reference, indicator_collections, national_data, operational_extracts
    family: str
    description: str
    cadence: str  # month, quarter or static
    landing: re.Pattern[str]  # path under landing/; groups: period or month_name+year, org, stamp
    contract: Callable[[str], Contract]  # period label -> contract
    collection: str | None = None  # the window calendar and publication it belongs to
    submitters: tuple[str, ...] = ()  # organisation types that may submit; () for publishers
    service_lines: bool = False
    # a window of several months may come in one return or month by month: the latest accepted
    # return holding a month counts for that month (else the latest return counts whole)
    counted_by_month: bool = False
    first_month: str = ""  # the first month it has data for: its partitions start there
    publication: Publication | None = None  # national data: where `peerbench fetch` finds it
    # a landing file that is not CSV (a workbook) -> the CSV its contract judges, written in the
    # given folder (a CSV landing file may be returned as it is, where a source takes both);
    # raises ContractViolationError when it cannot be read (a sheet is missing)
    reader: Callable[[Path, Path], Path] | None = None
    # another lake dataset the contract's rows are checked against (its `teams` lookup: the
    # providers' team registers), read from the lake when the partition is judged
    checked_against: str | None = None

    @property
    def partitions_def(self) -> dg.TimeWindowPartitionsDefinition | None:
        if self.cadence == "static":
            return None
        return time_partitions(self.cadence, self.first_month)

    @property
    def refresh_job(self) -> str | None:
        """The lake refresh job that runs it: one per partitions definition (cadence and start),
        since a job's assets share one; sources that share both share the job."""
        if self.cadence == "static":
            return None
        return f"{self.cadence}ly_from_{self.first_month.replace('-', '_')}_refresh_job"

    def before_start(self, period: str) -> bool:
        """Whether a period label falls before the source's first partition."""
        return self.cadence != "static" and self.months_of_period(period)[0] < self.first_month

    def period_label(self, partition_key: str) -> str:
        return period_label(self.cadence, partition_key)

    def months(self, partition_key: str) -> list[str]:
        """The months a period covers: three for a quarter of monthly values."""
        return months_of(self.cadence, partition_key)

    def months_of_period(self, period: str) -> list[str]:
        return self.months(partition_key_of(self, period))

    @property
    def folder(self) -> str:
        """The top folder of landing/ its files are under (its landing pattern's first part)."""
        folder = self.landing.pattern.split("/", 1)[0]
        if not re.fullmatch(r"[a-z_]+", folder):
            raise ValueError(f"{self.name}: landing pattern does not start with a plain folder")
        return folder

    def match(self, relative: str) -> LandingFile | None:
        found = self.landing.fullmatch(relative)
        if not found:
            return None
        groups = found.groupdict()
        if "month_name" in groups:  # 'April' or 'Apr': the first three letters tell them apart
            prefixes = [m[:3].lower() for m in MONTH_NAMES]
            number = prefixes.index(groups["month_name"][:3].lower()) + 1
            groups["period"] = f"{groups['year']}-{number:02d}"
        stamp = parse_stamp(groups["stamp"]) if groups.get("stamp") else None
        release = (groups.get("release") or "").lower()
        return LandingFile(
            source=self,
            relative=relative,
            period=groups.get("period") or STATIC_PERIOD,
            submitter=groups.get("org"),
            stamp=stamp,
            release=(
                release.count("-revised") + release.count("-final"),  # CWT's FINAL: a revision
                tuple(int(n) for n in re.findall(r"(?:-|_v)(\d+)", release)),
            ),
        )


@dataclass(frozen=True)
class LandingFile:
    """A recognised landing file: its source, period, submitter and submission stamp."""

    source: Source
    relative: str
    period: str
    submitter: str | None
    stamp: datetime | None
    # revised first, then the numbers: NHS England's _v2 versions, a browser's -1 copies
    release: tuple[int, tuple[int, ...]] = (0, ())


def _indicator_contract(collection: str, cadence: str, service_lines: bool):
    def contract(period: str) -> Contract:
        months = _quarter_months(period) if cadence == "quarter" else [period]
        return indicator_return_contract(collection, tuple(months), service_lines)

    return contract


def period_months(cadence: str) -> Callable[[str], list[str]]:
    """A period label of the cadence -> its months; ValueError for a label that is none."""
    pattern = re.compile(MONTH if cadence == "month" else QUARTER)

    def months(label: str) -> list[str]:
        if not pattern.fullmatch(label):
            shape = "a month, YYYY-MM" if cadence == "month" else "a quarter, YYYY-YY-Qn"
            raise ValueError(f"{label!r} is not {shape}")
        return _quarter_months(label) if cadence == "quarter" else [label]

    return months


def _indicator_reader(collection: str, cadence: str, service_lines: bool):
    return workbook_reader(collection, service_lines, period_months(cadence), metric_catalogue)


STATIC_PERIOD = "current"  # the one "period" of an unpartitioned source (the register)


def partition_dir(lake: Path, dataset: str, period: str) -> Path:
    """Where a lake dataset keeps a period: `<dataset>/period=<period>/` (hive style)."""
    if period == STATIC_PERIOD:
        return lake / dataset
    return lake / dataset / f"period={period}"


def _quarter_months(label: str) -> list[str]:
    """'2024-25-Q1' -> ['2024-04', '2024-05', '2024-06']."""
    year, quarter = int(label[:4]), int(label[-1])
    first = date(year + (quarter == 4), (3 * quarter + 1) % 12 or 12, 1)
    return quarter_months(first.isoformat())


def partition_key_of(source: Source, period: str) -> str:
    """The Dagster partition key of a period label."""
    if source.cadence == "quarter":
        return f"{_quarter_months(period)[0]}-01"
    return f"{period}-01"


def ods_publication(dataset: str, file: str) -> Publication:
    """Where NHS ODS publishes one of its files: a zip of `<file>.csv`, replaced in place."""
    return Publication(
        publisher="NHS England (Organisation Data Service)",
        dataset=dataset,
        folder="ods",
        url=f"{ODS_CURRENT}/{file}.zip",
        archive_member=rf"{file}\.csv",
        format="zip",
    )


ODS_CURRENT = "https://files.digital.nhs.uk/assets/ods/current"
NHSE_STATISTICS = "https://www.england.nhs.uk/statistics/statistical-work-areas"
NHS_DIGITAL_STATISTICS = "https://digital.nhs.uk/data-and-information/publications/statistical"
MONTH_NAME = r"(?P<month_name>" + "|".join(MONTH_NAMES) + r")-(?P<year>\d{4})"
RELEASE = r"(?P<release>(?:-revised)?(?:-\d+)*)"  # NHS England's revisions, a browser's copies
MON = r"(?P<month_name>" + "|".join(m[:3] for m in MONTH_NAMES) + r")"
VERSION = r"(?P<release>(?:_v\d+)?(?:-\d+)*)"  # NHS England's _v2 reissues, a browser's copies
# CWT's monthly workbook is PROVISIONAL, then FINAL (which counts as a revision of it)
CWT_RELEASE = r"(?P<release>-(?:PROVISIONAL|FINAL)(?:-revised)?(?:-\d+)*)"
OPERATIONAL_EXTRACTS = (  # lake dataset, contract, description
    ("epr_referrals", epr_referrals_contract,
     "Each provider's EPR referrals open in the month, as at its end: validated, identifiers "
     "pseudonymised."),
    ("epr_contacts", epr_contacts_contract,
     "Each provider's monthly EPR patient contacts, validated, pseudonymised."),
    ("eroster_shifts", eroster_shifts_contract,
     "Each provider's monthly eRoster shifts worked, validated, pseudonymised."),
    ("esr_staff", esr_staff_contract,
     "Each provider's ESR establishment at the month's end (positions filled and vacant, "
     "leavers of the month), validated, assignment numbers pseudonymised."),
)  # fmt: skip
SOURCES: dict[str, Source] = {
    source.name: source
    for source in (
        Source(
            name="organisations",
            family="reference",
            description="The membership register: each organisation's code, name, type, region.",
            cadence="static",
            landing=re.compile(r"reference/organisations\.csv"),
            contract=lambda _: organisation_register_contract,
        ),
        Source(
            name="ods_trusts",
            family="reference",
            description=(
                "NHS ODS's NHS trusts (etr): every trust in England and Wales, open or closed, "
                "with its NHS England region, ICB geography, address and open and close dates; "
                "organisations are matched to it by ODS code. Replaced whole by each release."
            ),
            cadence="static",
            landing=re.compile(r"ods/etr\.csv"),
            contract=lambda _: ods_etr_contract,
            publication=ods_publication("NHS Trusts and sites (etr)", "etr"),
        ),
        Source(
            name="ods_independent_providers",
            family="reference",
            description=(
                "NHS ODS's independent sector healthcare providers (ephp), open or closed, in the "
                "trusts file's layout: a code found here is an independent sector provider. "
                "Replaced whole by each release."
            ),
            cadence="static",
            landing=re.compile(r"ods/ephp\.csv"),
            contract=lambda _: ods_ephp_contract,
            publication=ods_publication("Independent Sector Healthcare Providers (ephp)", "ephp"),
        ),
        Source(
            name="ods_gp_practices",
            family="reference",
            description=(
                "NHS ODS's GP practices and other prescribing cost centres (epraccur), open or "
                "closed, with status, commissioner and prescribing setting: a code found here is "
                "a GP practice (or a walk-in centre, by its setting). Replaced whole by each "
                "release."
            ),
            cadence="static",
            landing=re.compile(r"ods/epraccur\.csv"),
            contract=lambda _: ods_epraccur_contract,
            publication=ods_publication("GP and GP practice related data (epraccur)", "epraccur"),
        ),
        Source(
            name="ods_successors",
            family="reference",
            description=(
                "NHS ODS's successor organisations (succ): which organisation took over from "
                "which, and from what day, so a merged trust's series continues under its "
                "successor. Replaced whole by each release."
            ),
            cadence="static",
            landing=re.compile(r"ods/succ\.csv"),
            contract=lambda _: ods_succ_contract,
            publication=ods_publication("Successor organisations (succ)", "succ"),
        ),
        Source(
            name="ons_ltla_population",
            family="reference",
            description=(
                "ONS mid-2020 population estimates by lower-tier local authority (2021 codes), "
                "England and Wales, by single year of age (0-89, 90+): the size and age profile "
                "of the places members serve, for peer grouping. A tidy extract of ONS's "
                f"workbook; publisher ONS, {OGL}. No fetch: ONS publishes xlsx only."
            ),
            cadence="static",
            landing=re.compile(r"ons/population_mid2020_ltla21\.csv"),
            contract=lambda _: ons_population_contract,
        ),
        Source(
            name="mhclg_ltla_deprivation",
            family="reference",
            description=(
                "English Indices of Deprivation 2019 by lower-tier local authority (2019 codes): "
                "the IMD and its seven domains' average scores and shares of deprived areas, for "
                "peer grouping. A tidy extract of MHCLG's File 10 workbook; publisher MHCLG, "
                f"{OGL}. No fetch: MHCLG publishes xlsx only."
            ),
            cadence="static",
            landing=re.compile(r"mhclg/imd2019_ltla19\.csv"),
            contract=lambda _: imd_contract,
        ),
        Source(
            name="community_indicator_returns",
            family="indicator_collections",
            description="Monthly Community Indicators returns, validated, one lake file a month.",
            cadence="month",
            first_month="2020-04",
            landing=re.compile(rf"community_indicators/{MONTH}/{ORG}_{STAMP}\.{RETURN}"),
            contract=_indicator_contract("community_indicators", "month", False),
            reader=_indicator_reader("community_indicators", "month", False),
            collection="community_indicators",
            submitters=("community_provider",),
        ),
        Source(
            name="mhlda_indicator_returns",
            family="indicator_collections",
            description="Quarterly MHLDA returns of three monthly values, by service line.",
            cadence="quarter",
            first_month="2020-04",
            landing=re.compile(rf"mhlda/{QUARTER}/{ORG}_{STAMP}\.{RETURN}"),
            contract=_indicator_contract("mhlda", "quarter", True),
            reader=_indicator_reader("mhlda", "quarter", True),
            collection="mhlda",
            submitters=("mental_health_trust",),
            service_lines=True,
            counted_by_month=True,
        ),
        Source(
            name="nhse_ae_attendances",
            family="national_data",
            description=(
                "NHS England monthly A&E attendances, 4-hour waits and emergency admissions by "
                "provider; one lake file per month from the latest release."
            ),
            cadence="month",
            first_month="2016-04",
            landing=re.compile(
                rf"nhse_ae/Monthly-AE-{MONTH_NAME}{RELEASE}\.csv",
                re.IGNORECASE,
            ),
            contract=ae_monthly_contract,
            collection="nhse_ae",
            publication=Publication(
                publisher="NHS England",
                dataset="A&E Attendances and Emergency Admissions",
                folder="nhse_ae",
                url=f"{NHSE_STATISTICS}/ae-waiting-times-and-activity/"
                "ae-attendances-and-emergency-admissions-{financial_year}/",
                link=r"Monthly-AE-{month_name}-{year}(-revised)?\.csv",
            ),
        ),
        Source(
            name="nhse_ae_history",
            family="national_data",
            description=(
                "NHS England's A&E series April 2016 - March 2019 (NHSRdatasets' tidy "
                "ae_attendances): attendances, 4-hour breaches and admissions by department "
                "type; one unpartitioned dataset, so A&E indicators go back to 2016."
            ),
            cadence="static",
            landing=re.compile(r"ae_history/ae_attendances_\d{4}_\d{4}\.csv"),
            contract=lambda _: ae_history_contract,
        ),
        Source(
            name="nhse_rtt_pathways",
            family="national_data",
            description=(
                "NHS England monthly Referral to Treatment waiting times (full CSV extract): "
                "pathways by provider, commissioner, RTT part and treatment function, in 105 "
                "week bands; one lake file per month from the latest release."
            ),
            cadence="month",
            first_month="2016-04",
            landing=re.compile(
                rf"nhse_rtt/(?P<extracted>\d{{8}})-RTT-{MONTH_NAME}-full-extract{RELEASE}\.csv",
                re.IGNORECASE,
            ),
            contract=rtt_contract,
            collection="nhse_rtt",
            publication=Publication(
                publisher="NHS England",
                dataset="Consultant-led Referral to Treatment Waiting Times",
                folder="nhse_rtt",
                url=f"{NHSE_STATISTICS}/rtt-waiting-times/rtt-data-{{financial_year}}/",
                link=r"Full-CSV-data-file-{mon}{yy}-ZIP-\d+K(-revised)?\.zip",
                archive_member=r"\d{{8}}-RTT-{month_name}-{year}-full-extract(-revised)?\.csv",
                format="zip",
            ),
        ),
        Source(
            name="nhse_mhsds_waits",
            family="national_data",
            description=(
                "NHS England's Mental Health Services Data Set, community mental health 4-week "
                "waits: referral-spell measures (MRS) for England, ICBs and providers over the "
                "rolling quarter and the month ending in the release's month; one lake file per "
                "month from the latest release."
            ),
            cadence="month",
            first_month="2024-04",
            landing=re.compile(
                rf"nhse_mhsds/MHSDS_Data_4WW_{MON}Perf_(?P<year>\d{{4}}){VERSION}\.csv",
                re.IGNORECASE,
            ),
            contract=mhsds_contract,
            collection="nhse_mhsds",
            publication=Publication(
                publisher="NHS England",
                dataset="Mental Health Services Monthly Statistics (community mental health 4-week "
                "waits)",
                folder="nhse_mhsds",
                url=f"{NHS_DIGITAL_STATISTICS}/mental-health-services-monthly-statistics/"
                "performance-{month_name_lower}-{year}",
                link=r"MHSDS_Data_4WW_{mon}Perf_{year}(_v\d+)?\.csv",
            ),
        ),
        Source(
            name="nhse_cancer_waits",
            family="national_data",
            description=(
                "NHS England monthly Cancer Waiting Times provider workbook: the 28-day Faster "
                "Diagnosis, 31-day and 62-day standards for all cancers, by provider and by "
                "referral route or treatment stage, from three of its sheets; one lake file per "
                "month from the latest release (FINAL over PROVISIONAL)."
            ),
            cadence="month",
            first_month="2023-10",  # the three standards as they stand since October 2023
            landing=re.compile(
                rf"{CWT_LANDING}/{MONTH_NAME}-CWT-CRS-PROVIDER-WORKBOOK{CWT_RELEASE}\.xlsx",
                re.IGNORECASE,
            ),
            contract=cwt_contract,
            reader=workbook_csv,
            collection="nhse_cwt",
            publication=Publication(
                publisher="NHS England",
                dataset="Cancer Waiting Times (provider based)",
                folder=CWT_LANDING,
                url=f"{NHSE_STATISTICS}/cancer-waiting-times/monthly-data-and-summaries/"
                "{financial_year}-monthly-cancer-waiting-times-statistics/",
                link=r"{MONTH_NAME}-{year}-CWT-CRS-PROVIDER-WORKBOOK-(PROVISIONAL|FINAL)"
                r"(-revised)?\.xlsx",
                format="xlsx",
            ),
        ),
        Source(
            name="operational_teams",
            family="operational_extracts",
            description=(
                "Each provider's team register: its teams' codes, names and departments "
                "(community nursing, community therapies), closed teams included; every "
                "operational extract row must name one of its provider's teams."
            ),
            cadence="static",
            landing=re.compile(rf"operational/{ORG}/teams\.csv"),
            contract=teams_contract,
            submitters=("community_provider",),
        ),
        Source(
            name="operational_comparators",
            family="operational_extracts",
            description=(
                "The comparator set each provider names (ODS codes of other providers in the "
                "programme): its benchmarking report ranks it among them too."
            ),
            cadence="static",
            landing=re.compile(rf"operational/{ORG}/comparators\.csv"),
            contract=comparators_contract,
            submitters=("community_provider",),
        ),
        *(
            Source(
                name=name,
                family="operational_extracts",
                description=description,
                cadence="month",
                first_month="2020-04",
                landing=re.compile(rf"operational/{ORG}/{MONTH}/{name}\.csv"),
                contract=contract,
                collection="operational",
                submitters=("community_provider",),
                checked_against="operational_teams",
            )
            for name, contract, description in OPERATIONAL_EXTRACTS
        ),
    )
}


def _sources_by_folder() -> dict[str, list[Source]]:
    by_folder: dict[str, list[Source]] = {}
    for source in SOURCES.values():
        by_folder.setdefault(source.folder, []).append(source)
    return by_folder


SOURCES_BY_FOLDER = _sources_by_folder()  # a pattern starts with its folder: no other can match


def recognise(relative: str) -> LandingFile | None:
    """The source a landing path belongs to (the first in the registry whose pattern matches),
    or None."""
    for source in SOURCES_BY_FOLDER.get(relative.split("/", 1)[0], ()):
        found = source.match(relative)
        if found:
            return found
    return None


@dataclass(frozen=True)
class LandingScan:
    """Every file under `landing/`, sorted into (source, period); those not read, with why."""

    files: dict[tuple[str, str], list[LandingFile]]
    unrecognised: dict[str, str]  # landing path -> why it is not read

    def of(self, source: Source, period: str) -> list[LandingFile]:
        return self.files.get((source.name, period), [])


def _landing_files(
    folder: str, prefix: str = "", tops: Collection[str] | None = None
) -> Iterator[str]:
    """The files under `folder`, as paths relative to it, skipping hidden files and folders;
    with `tops`, only those under the top folders it names."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or (tops is not None and entry.name not in tops):
                continue
            if entry.is_dir():
                yield from _landing_files(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file():
                yield f"{prefix}{entry.name}"


def scan_landing(landing: Path, folders: Collection[str] | None = None) -> LandingScan:
    """One walk of `landing/` (hidden files, such as a transfer in progress, are not files yet),
    or only of its top `folders` (an asset reads its own source's folder: `Source.folder`)."""
    files: dict[tuple[str, str], list[LandingFile]] = {}
    unrecognised = {}
    relatives = list(_landing_files(str(landing), tops=folders)) if landing.is_dir() else []
    for relative in sorted(relatives, key=lambda r: r.split("/")):  # as Path sorts: by part
        found = recognise(relative)
        if found is None:
            unrecognised[relative] = "matches no source"
        elif found.source.before_start(found.period):
            source = found.source
            unrecognised[relative] = f"is before {source.name} starts ({source.first_month})"
        else:
            files.setdefault((found.source.name, found.period), []).append(found)
    return LandingScan(files, unrecognised)
