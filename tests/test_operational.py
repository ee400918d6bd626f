"""Operational extracts: NHS numbers, pseudonyms and the hand-computed proof of the 61 metrics.

Two providers send small extracts in the canonical layout (docs/operational_extracts.md). RXA
sends twelve months, July 2024 to June 2025: June is written out row by row below, every other
month is the same small "standard month" (a loop); its team RXA-DN2 opened in September 2024.
RXB sends January to April and June 2025 (no May, so no April-June quarter) and no establishment
in February (so its January-March quarter has no workforce metric). Every base measure of
seeds/operational_measures.csv is worked out by hand in the comments, from the definitions (the
seed, the catalogue and the extracts' specification), never from the SQL; the metrics'
numerators and denominators are those measures, as the catalogue names them. The module builds
one home: a Dagster run of the lake assets, one of the dbt build, then reads the marts.
"""

import csv
import json
import math
import numbers
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from conftest import land_register, use_home

from assets.dbt import mart_dbt_models
from assets.operational import (
    epr_contacts,
    epr_referrals,
    eroster_shifts,
    esr_staff,
    operational_teams,
)
from assets.pseudonymisation import pseudonymise
from assets.reference import collection_windows, organisations
from contracts.nhs_number import is_valid_nhs_number
from orchestration.resources import peerbench_resources
from orchestration.runs import range_tags

CATALOGUE = Path(__file__).parents[1] / "seeds" / "metric_catalogue.csv"
MEASURES = Path(__file__).parents[1] / "seeds" / "operational_measures.csv"
RESOURCES = peerbench_resources()

# ---------------------------------------------------------------------------------------------
# The extracts
# ---------------------------------------------------------------------------------------------

TEAMS_HEADER = "team_code,team_name,department,opened_on,closed_on\n"
REFERRALS_HEADER = (
    "referral_id,patient_id,nhs_number,team_code,referral_source,priority,received_at,"
    "accepted_on,first_contact_at,discharged_on\n"
)
CONTACTS_HEADER = (
    "contact_id,patient_id,nhs_number,staff_id,team_code,contact_date,start_time,end_time,"
    "contact_type,location,outcome,travel_minutes,interventions,activity_type\n"
)
SHIFTS_HEADER = (
    "staff_id,team_code,shift_date,start_time,end_time,break_minutes,shift_type,"
    "employment_type,overtime,band\n"
)
ESR_HEADER = (
    "position_id,assignment_number,team_code,role,band,wte,budgeted_wte,start_date,"
    "leaving_date,sickness_absence_days\n"
)

RXA_TEAMS = TEAMS_HEADER + (
    "RXA-DN1,District nursing north,community_nursing,2018-04-01,\n"
    "RXA-DN2,District nursing south,community_nursing,2024-09-01,\n"
    "RXA-TH1,Community therapies,community_therapies,2018-04-01,\n"
)
RXB_TEAMS = TEAMS_HEADER + "RXB-DN1,Community nursing,community_nursing,,\n"

# RXA's staff (the staff id in the EPR and the roster is the ESR assignment number):
#   DN1  20000001 registered nurse, band 6, 1.0 WTE (position DN1-P1, budget 1.0)
#        20000002 healthcare assistant, band 3, 0.8 WTE (DN1-P2, budget 1.0)
#        20000003 registered nurse, band 5, 1.0 WTE (DN1-P3): leaves on 15 June 2025
#        20000008 registered nurse, band 5, 1.0 WTE: refills DN1-P3 from 16 June 2025
#        DN1-P4: a vacant band 5 nurse's post, budget 1.0
#        20000005 admin and clerical (not clinical), band 4, 0.5 WTE (DN1-P5, budget 0.5)
#        B9000001 a bank nurse: no ESR record, band 5 on the roster
#   DN2  20000004 registered nurse, band 7, 0.8 WTE on a post budgeted at 0.6 (over
#        establishment), since the team opened on 1 September 2024
#   TH1  20000006 allied health professional, band 7, 1.0 WTE (TH1-P1): starts 1 May 2025, the
#        post vacant before
#        20000007 therapy assistant, band 4 in ESR, 1.0 WTE (TH1-P2); worked June's shift on a
#        band 5 post (acting up): ESR's band 4 is the one that counts
#        A9000002 an agency therapist: no ESR record, no band on the roster; on 10 June she
#        also covers half an hour in DN2
# Patients P01-P04 have NHS numbers (the same pseudonym in every extract and team), the others
# only the EPR's local id.

RXA_JUNE = {
    "esr_staff": ESR_HEADER
    + """\
DN1-P1,20000001,RXA-DN1,registered_nurse,6,1.0,1.0,2020-01-06,,2
DN1-P2,20000002,RXA-DN1,healthcare_assistant,3,0.8,1.0,2021-03-01,,0
DN1-P3,20000003,RXA-DN1,registered_nurse,5,1.0,1.0,2019-09-02,2025-06-15,0
DN1-P3,20000008,RXA-DN1,registered_nurse,5,1.0,1.0,2025-06-16,,0
DN1-P4,,RXA-DN1,registered_nurse,5,0,1.0,,,0
DN1-P5,20000005,RXA-DN1,admin_and_clerical,4,0.5,0.5,2022-01-10,,0
DN2-P1,20000004,RXA-DN2,registered_nurse,7,0.8,0.6,2024-09-01,,0
TH1-P1,20000006,RXA-TH1,allied_health_professional,7,1.0,1.0,2025-05-01,,3
TH1-P2,20000007,RXA-TH1,therapy_assistant,4,1.0,1.0,2022-02-01,,0
""",
    "eroster_shifts": SHIFTS_HEADER
    + """\
20000001,RXA-DN1,2025-06-02,08:00,12:00,0,clinical,substantive,no,6
20000001,RXA-DN1,2025-06-02,13:00,17:00,0,clinical,substantive,no,6
20000001,RXA-DN1,2025-06-03,09:00,11:00,0,training,substantive,no,6
20000002,RXA-DN1,2025-06-02,08:00,16:00,30,clinical,substantive,yes,3
20000003,RXA-DN1,2025-06-05,08:00,16:00,30,clinical,substantive,no,5
20000005,RXA-DN1,2025-06-02,09:00,13:00,0,non_clinical,substantive,no,4
20000008,RXA-DN1,2025-06-16,08:00,16:00,30,clinical,substantive,no,5
B9000001,RXA-DN1,2025-06-07,20:00,32:00,60,clinical,bank,no,5
20000004,RXA-DN2,2025-06-04,09:00,10:00,0,clinical,substantive,no,7
20000006,RXA-TH1,2025-06-03,09:00,17:00,30,clinical,substantive,no,7
20000007,RXA-TH1,2025-06-03,09:00,17:00,30,clinical,substantive,no,5
A9000002,RXA-TH1,2025-06-10,09:00,13:00,0,clinical,agency,no,
A9000002,RXA-DN2,2025-06-10,14:00,14:30,0,clinical,agency,no,
""",
    "epr_contacts": CONTACTS_HEADER
    + """\
C01,P01,9434765919,20000001,RXA-DN1,2025-06-02,09:00,09:30,F2F,home,attended,15,2,wound_care
C02,P02,9990000018,20000001,RXA-DN1,2025-06-02,10:00,10:45,F2F,home,attended,10,1,insulin
C03,P03,9990000050,20000001,RXA-DN1,2025-06-02,14:00,14:30,F2F,clinic,attended,0,1,wound_care
C04,P04,4010232137,20000001,RXA-DN1,2025-06-02,15:00,15:30,telephone,other,attended,0,1,
C05,P05,,20000002,RXA-DN1,2025-06-02,09:00,09:30,F2F,home,attended,20,1,insulin
C06,P06,,20000002,RXA-DN1,2025-06-02,10:00,10:30,F2F,home,dna,15,0,venepuncture
C07,P07,,20000002,RXA-DN1,2025-06-02,11:00,11:30,F2F,clinic,cancelled,0,0,continence
C08,P02,9990000018,B9000001,RXA-DN1,2025-06-07,22:00,22:45,F2F,home,attended,20,1,medication
C09,P01,9434765919,B9000001,RXA-DN1,2025-06-07,23:30,24:15,F2F,home,attended,10,1,palliative
C10,P03,9990000050,20000008,RXA-DN1,2025-06-16,09:30,10:00,F2F,clinic,attended,0,1,venepuncture
C11,P08,,20000003,RXA-DN1,2025-06-05,09:00,09:45,video,other,attended,0,1,assessment
C12,P04,4010232137,20000001,RXA-DN1,2025-06-20,09:00,09:30,F2F,home,dna,10,0,wound_care
D01,P09,,20000004,RXA-DN2,2025-06-04,10:00,11:00,F2F,home,attended,30,3,palliative
D02,P10,,20000004,RXA-DN2,2025-06-04,13:30,14:00,F2F,clinic,attended,0,1,diagnostics
D03,P09,,20000004,RXA-DN2,2025-06-25,10:00,10:30,telephone,other,cancelled,0,0,palliative
T01,P11,,20000006,RXA-TH1,2025-06-03,09:30,10:15,F2F,clinic,attended,0,2,rehabilitation
T02,P12,,20000006,RXA-TH1,2025-06-03,13:00,14:00,F2F,clinic,attended,0,1,assessment
T03,P04,4010232137,20000007,RXA-TH1,2025-06-03,10:00,10:45,F2F,home,attended,25,2,rehabilitation
T04,P18,,20000007,RXA-TH1,2025-06-03,14:00,14:30,video,other,dna,0,0,rehabilitation
T05,P12,,A9000002,RXA-TH1,2025-06-10,10:00,11:00,F2F,home,attended,20,1,rehabilitation
""",
    "epr_referrals": REFERRALS_HEADER
    + """\
R01,P01,9434765919,RXA-DN1,gp,routine,2025-04-10 09:00,2025-04-11,2025-04-14 10:00,
R02,P02,9990000018,RXA-DN1,acute,urgent,2025-06-02 08:00,2025-06-02,2025-06-02 10:00,
R03,P03,9990000050,RXA-DN1,gp,routine,2025-01-20 11:00,2025-01-27,2025-06-02 14:00,
R04,P14,,RXA-DN1,gp,routine,2025-06-03 09:00,2025-06-09,,
R05,P15,,RXA-DN1,gp,routine,2025-01-15 10:00,2025-01-20,,
R06,P16,,RXA-DN1,social_care,routine,2025-06-10 09:00,,,2025-06-11
R07,P04,4010232137,RXA-DN1,community,routine,2025-03-03 09:00,2025-03-04,2025-03-10 09:00,2025-06-20
R08,P08,,RXA-DN1,gp,urgent,2025-05-30 16:00,2025-06-02,2025-06-05 09:00,2025-06-27
R09,P17,,RXA-DN1,gp,routine,2025-02-03 09:00,2025-02-04,2025-02-10 09:00,
TR1,P11,,RXA-TH1,gp,routine,2025-05-20 09:00,2025-05-21,2025-06-03 09:30,
TR2,P12,,RXA-TH1,self,routine,2025-06-01 10:00,2025-06-02,2025-06-03 13:00,
TR3,P13,,RXA-TH1,acute,urgent,2025-06-20 09:00,,,
TR4,P04,4010232137,RXA-TH1,community,routine,2025-05-02 09:00,2025-05-06,2025-05-12 10:00,
TR5,P01,9434765919,RXA-TH1,gp,routine,2025-04-01 09:00,2025-04-02,2025-04-08 09:00,
""",
}


def rxa_standard_month(month: str) -> dict[str, str]:
    """RXA's every month but June 2025 (`month` is YYYY-MM): the same establishment (20000006
    in post from May 2025, TH1-P1 vacant before), one clinical shift, one contact and one or two
    referrals per team; no row of RXA-DN2 before it opened in September 2024."""
    therapist = "20000006,RXA-TH1,allied_health_professional,7,1.0,1.0,2025-05-01"
    if month < "2025-05":
        therapist = ",RXA-TH1,allied_health_professional,7,0,1.0,"
    m = month
    extracts = {
        "esr_staff": ESR_HEADER
        + f"""\
DN1-P1,20000001,RXA-DN1,registered_nurse,6,1.0,1.0,2020-01-06,,0
DN1-P2,20000002,RXA-DN1,healthcare_assistant,3,0.8,1.0,2021-03-01,,0
DN1-P3,20000003,RXA-DN1,registered_nurse,5,1.0,1.0,2019-09-02,,0
DN1-P4,,RXA-DN1,registered_nurse,5,0,1.0,,,0
DN1-P5,20000005,RXA-DN1,admin_and_clerical,4,0.5,0.5,2022-01-10,,0
DN2-P1,20000004,RXA-DN2,registered_nurse,7,0.8,0.6,2024-09-01,,0
TH1-P1,{therapist},,0
TH1-P2,20000007,RXA-TH1,therapy_assistant,4,1.0,1.0,2022-02-01,,0
""",
        "eroster_shifts": SHIFTS_HEADER
        + f"""\
20000001,RXA-DN1,{m}-02,08:00,16:00,30,clinical,substantive,no,6
20000004,RXA-DN2,{m}-04,09:00,13:00,0,clinical,substantive,no,7
20000007,RXA-TH1,{m}-03,09:00,17:00,30,clinical,substantive,no,4
""",
        "epr_contacts": CONTACTS_HEADER
        + f"""\
S1,P01,9434765919,20000001,RXA-DN1,{m}-02,09:00,10:00,F2F,home,attended,15,1,wound_care
S2,P09,,20000004,RXA-DN2,{m}-04,10:00,10:30,telephone,other,dna,0,0,palliative
S3,P04,4010232137,20000007,RXA-TH1,{m}-03,10:00,10:30,F2F,clinic,attended,0,1,rehabilitation
""",
        "epr_referrals": REFERRALS_HEADER
        + f"""\
SR1,P01,9434765919,RXA-DN1,gp,routine,{m}-01 09:00,{m}-01,{m}-02 09:00,
SR2,P19,,RXA-TH1,self,urgent,{m}-03 08:00,{m}-03,,
SR3,P04,4010232137,RXA-DN1,community,routine,{m}-01 10:00,{m}-01,{m}-01 11:00,{m}-11
""",
    }
    if month < "2024-09":
        for name, text in extracts.items():
            extracts[name] = "".join(
                line for line in text.splitlines(True) if "RXA-DN2" not in line
            )
    return extracts


def rxb_standard_month(month: str, establishment: bool = True) -> dict[str, str]:
    """RXB's every month (one team, two nurses); its February has no establishment."""
    m = month
    extracts = {
        "eroster_shifts": SHIFTS_HEADER
        + f"""\
30000001,RXB-DN1,{m}-02,08:00,16:00,30,clinical,substantive,no,6
30000002,RXB-DN1,{m}-02,08:00,12:00,0,clinical,substantive,no,3
""",
        "epr_contacts": CONTACTS_HEADER
        + f"""\
B1,P20,,30000001,RXB-DN1,{m}-02,09:00,10:00,F2F,home,attended,20,1,wound_care
B2,P21,,30000002,RXB-DN1,{m}-02,10:00,10:30,F2F,home,attended,10,1,insulin
B3,P22,,30000001,RXB-DN1,{m}-02,11:00,11:30,F2F,home,dna,10,0,wound_care
""",
        "epr_referrals": REFERRALS_HEADER
        + f"BR1,P20,,RXB-DN1,gp,routine,{m}-01 09:00,{m}-01,{m}-02 09:00,\n",
    }
    if establishment:
        extracts["esr_staff"] = ESR_HEADER + (
            "B-P1,30000001,RXB-DN1,registered_nurse,6,1.0,1.0,2019-01-07,,0\n"
            "B-P2,30000002,RXB-DN1,healthcare_assistant,3,1.0,1.0,2020-01-06,,0\n"
        )
    return extracts


RXA_MONTHS = [str(p) for p in pd.period_range("2024-07", "2025-06", freq="M")]
RXB_MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-06"]  # no May


def land_extracts(home: Path) -> None:
    """The register, both providers' team registers and every month's extracts."""
    land_register(home, {"RXA": "community_provider", "RXB": "community_provider"})
    root = home / "landing" / "operational"
    months: dict[tuple[str, str], dict[str, str]] = {}
    for month in RXA_MONTHS:
        months["RXA", month] = RXA_JUNE if month == "2025-06" else rxa_standard_month(month)
    for month in RXB_MONTHS:
        months["RXB", month] = rxb_standard_month(month, establishment=month != "2025-02")
    for (organisation, month), extracts in months.items():
        for name, text in extracts.items():
            path = root / organisation / month / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    (root / "RXA" / "teams.csv").write_text(RXA_TEAMS)
    (root / "RXB" / "teams.csv").write_text(RXB_TEAMS)


def build(home: Path) -> None:
    """The lake (the register and team registers, then every month of the four extracts in one
    run) and the mart (one dbt build), all through Dagster."""
    # in memory: the runs' events are not kept; disposed after (its temporary folder with it)
    with dg.DagsterInstance.ephemeral() as instance:
        for assets, tags in (
            ([organisations, collection_windows, operational_teams], None),
            ([epr_referrals, epr_contacts, eroster_shifts, esr_staff],
             range_tags("2024-07-01", "2025-06-01")),
            ([mart_dbt_models], None),
        ):  # fmt: skip
            result = dg.materialize(assets, instance=instance, resources=RESOURCES, tags=tags)
            assert result.success


# ---------------------------------------------------------------------------------------------
# The base measures, by hand
# ---------------------------------------------------------------------------------------------


def _seed_measures() -> dict[str, str]:
    """Every base measure of the seed and the extract it comes from."""
    with MEASURES.open(newline="") as handle:
        return {row["measure"]: row["extract"] for row in csv.DictReader(handle)}


SEED_MEASURES = _seed_measures()


def measures(**values: float) -> dict[str, float]:
    """A level's measures for a period: those named, every other measure of the seed 0."""
    unknown = set(values) - set(SEED_MEASURES)
    assert not unknown, f"not measures of the seed: {unknown}"
    return {name: float(values.get(name, 0)) for name in SEED_MEASURES}


def summed(*levels: dict[str, float]) -> dict[str, float]:
    """Teams' measures summed: a department's or a provider's (the seed's 'a provider's: its
    teams' ... summed', the catalogue's 'a provider's or department's')."""
    return {name: sum(level[name] for level in levels) for name in SEED_MEASURES}


H = 1 / 60  # an hour per minute
WEEK = 37.5 / 7  # contracted hours per WTE and day: 37.5 hours a week

# --- RXA, June 2025 (30 days), team RXA-DN1 ------------------------------------------------
# Contacts C01-C12. Booked 12; attended C01 C02 C03 C04 C05 C08 C09 C10 C11 = 9; not attended
#   C06 C12 = 2 (C07 was cancelled: neither), so attended or not 11. Attended face to face: all
#   attended but C04 (telephone) and C11 (video) = 7; at home C01 C02 C05 C08 C09 = 5 visits; at a
#   clinic C03 C10 = 2, of which C03 starts at 14:00, after 1pm (C10 at 09:30).
#   Attended minutes 30+45+30+30+30+45+45+30+45 = 330 (C09 23:30 to 24:15 is 45, past midnight)
#   = 5.5 h; their travel 15+10+0+0+20+20+10+0+0 = 75 min = 1.25 h (the 15 and 10 of the missed
#   C06 and C12 do not count); delivery 5.5 + 1.25 = 6.75 h. Interventions 2+1+1+1+1+1+1+1+1 = 10.
#   Booked minutes 330 + C06 30 + C07 30 + C12 30 = 420 = 7 h; lost (missed or cancelled) 1.5 h.
#   Delegable and attended: C02 insulin, C05 insulin, C08 medication, C10 venepuncture = 4; by
#   bands 2-4: C05 (20000002, band 3) = 1. Hours by bands 2-4: C05 0.5 h; by band 7+: none.
# Shifts (hours less breaks): clinical 20000001 4 + 4 (a split shift, one shift day), 20000002
#   7.5 (overtime), 20000003 7.5, 20000008 7.5, B9000001 20:00-32:00 less 60 = 11 (bank,
#   overnight) = 41.5 h on 5 shift days (20000001 and 20000002 on the 2nd, 20000003 on the 5th,
#   B9000001 on the 7th, 20000008 on the 16th); every shift adds 20000001's training 2 and
#   20000005's non-clinical 4: 47.5 h. Bank 11 h, overtime 7.5 h; clinical hours of bands 2-4:
#   20000002's 7.5 (20000005's shift is not clinical).
#   Days with a clinical shift: 2nd, 5th, 7th, 16th = 4 of 30.
#   Indirect 41.5 - 5.5 - 1.25 = 34.75; non-clinical 41.5 - 5.5 = 36.
# Establishment at 30 June: in post 20000001 1.0, 20000002 0.8, 20000008 1.0 (from the 16th),
#   20000005 0.5 = 3.3 WTE, headcount 4 (20000003 left on the 15th); clinical (not admin) 2.8,
#   headcount 3: band 5+ 20000001 and 20000008 = 2.0, bands 2-4 20000002 0.8. Budget: DN1-P1 to
#   P5 = 1 + 1 + 1 (P3 once, though it has two rows: leaver and successor) + 1 + 0.5 = 4.5,
#   clinical 4.0 (not P5); vacant 4.5 - 3.3 = 1.2. Days in post x WTE: 30 x 1.0 + 30 x 0.8 +
#   15 x 1.0 (20000003, 1st-15th) + 15 x 1.0 (20000008, 16th-30th) + 30 x 0.5 = 99; sickness 2;
#   1 leaver. Contracted clinical hours 2.8 x 37.5 / 7 x 30 = 450. 1 team with staff.
#   At the month's start (started before 1 June): 20000001, 20000002, 20000003, 20000005 = 4;
#   still in post in DN1 at its end 3 (not 20000003).
# Referrals R01-R09. Received in June: R02, R04, R06 = 3; urgent R02; from a GP R04.
#   Triaged in June: accepted R02 (2nd), R04 (9th), R08 (2nd) = 3, closed unaccepted R06 = 4.
#   Days to acceptance: R02 0 + R04 6 (3rd to 9th) + R08 3 (30 May to 2 June) = 9.
#   Discharged after acceptance: R07 (3 March to 20 June: 28 + 30 + 31 + 20 = 109 days) and
#   R08 (30 May to 27 June: 28 days) = 2, 137 days; R06 closed unaccepted is no discharge.
#   First attended contact in June: R02 (2 h after receipt: 120 min, within 2 hours exactly),
#   R03 (20 Jan 11:00 to 2 June 14:00: 11 + 28 + 31 + 30 + 31 + 2 = 133 days 3 h = 191,700 min,
#   over 126 days), R08 (30 May 16:00 to 5 June 09:00: 5 days 17 h = 8,220 min) = 3, taking
#   (120 + 191,700 + 8,220) / 1440 = 200,040 / 1440 days; within 18 weeks R02 R08 = 2; urgent
#   R02 R08 = 2, within 2 hours R02 = 1; all 3 accepted, within 14 days of acceptance R02 (0)
#   and R08 (3), not R03 (27 Jan to 2 June: 126 days) = 2.
#   At 30 June: accepted, seen, open R01 R02 R03 R09 = caseload 4; their patients seen by DN1
#   in June: P01 (C01), P02 (C02), P03 (C03), not P17 = 3 reviewed. Accepted, not seen, open:
#   R04 (received 27 days before 30 June), R05 (15 January: 166 days) = waiting 2, 1 under 18
#   weeks. Follow-ups: 9 attended - 3 first contacts = 6. May received 2 (SR1, SR3): change +1.
RXA_DN1_JUNE = measures(
    contacts_booked=12, contacts_attended=9, contacts_dna=2, attended_or_dna=11,
    contacts_attended_f2f=7, visits=5, clinic_contacts=2, clinic_contacts_after_1pm=1,
    clinical_hours=5.5, travel_hours=1.25, delivery_hours=6.75, interventions=10,
    booked_hours=7, lost_hours=1.5, delegable_contacts=4, delegable_contacts_band_2_4=1,
    clinical_hours_band_2_4=0.5, clinical_hours_band_7_plus=0, whole_contacts_attended=9,
    whole_clinical_hours=5.5,
    clinical_shift_days=5, clinical_shift_hours=41.5, shift_hours=47.5, bank_agency_hours=11,
    overtime_hours=7.5, indirect_hours=34.75, non_clinical_hours=36, shift_hours_band_2_4=7.5,
    covered_days=4, calendar_days=30,
    wte_in_post=3.3, budgeted_wte=4.5, vacant_wte=1.2, clinical_wte=2.8,
    clinical_budgeted_wte=4.0, registered_clinical_wte=2.0, unregistered_clinical_wte=0.8,
    headcount=4, clinical_wte_months=2.8, clinical_headcount_months=3, available_fte_days=99,
    sickness_fte_days=2, leavers=1, contracted_clinical_hours=450, teams=1, staff_at_start=4,
    staff_stayed=3,
    referrals_received=3, referrals_received_previous=2, referrals_received_change=1,
    referrals_urgent=1, referrals_from_gp=1, referrals_triaged=4, referrals_accepted=3,
    days_to_acceptance=9, discharges=2, referral_days_at_discharge=137, first_contacts=3,
    days_to_first_contact=200_040 / 1440, first_contacts_within_18_weeks=2,
    urgent_first_contacts=2, urgent_first_contacts_within_2_hours=1, accepted_first_contacts=3,
    first_contacts_within_14_days=2, follow_up_contacts=6, caseload=4, caseload_end=4,
    caseload_months=4, caseload_reviewed=3, waiting_list=2, waiting_list_end=2,
    waiting_under_18_weeks=1,
)  # fmt: skip

# --- RXA-DN2, June: one nurse over establishment; no referral at all ------------------------
# Contacts D01-D03: booked 3, attended D01 D02 = 2, none missed (D03 cancelled); face to face
#   2, a visit D01, a clinic D02 at 13:30 (after 1pm); 60 + 30 min = 1.5 h, travel 0.5 h,
#   delivery 2 h; interventions 3 + 1 = 4; booked 2 h, lost (D03) 0.5 h; band 7 (20000004): 1.5 h.
# Shifts: 20000004 09:00-10:00 on the 4th and A9000002 (agency) 14:00-14:30 on the 10th = 1.5
#   clinical hours, 0.5 of them agency, on 2 shift days covering 2 days: A9000002's day counts
#   in DN2 and in TH1, each team's own shift day. Contact and travel hours (2) exceed them:
#   indirect max(1.5 - 1.5 - 0.5, 0) = 0, never below 0 in a team's month; non-clinical
#   1.5 - 1.5 = 0.
# Establishment: 0.8 WTE in post on a 0.6 budget: vacant max(0.6 - 0.8, 0) = 0 (an excess does
#   not offset DN1's vacancy); 30 x 0.8 = 24 WTE days; contracted 0.8 x 37.5 / 7 x 30 = 900 / 7.
#   Stability: 20000004 at the start and the end: 1 of 1.
# Referrals: RXA sent its referrals and none is DN2's: every referral measure 0 (not missing),
#   May's 0 too; follow-ups 2 - 0 = 2.
RXA_DN2_JUNE = measures(
    contacts_booked=3, contacts_attended=2, attended_or_dna=2, contacts_attended_f2f=2,
    visits=1, clinic_contacts=1, clinic_contacts_after_1pm=1, clinical_hours=1.5,
    travel_hours=0.5, delivery_hours=2, interventions=4, booked_hours=2, lost_hours=0.5,
    clinical_hours_band_7_plus=1.5, whole_contacts_attended=2, whole_clinical_hours=1.5,
    clinical_shift_days=2, clinical_shift_hours=1.5, shift_hours=1.5, bank_agency_hours=0.5,
    covered_days=2, calendar_days=30,
    wte_in_post=0.8, budgeted_wte=0.6, clinical_wte=0.8, clinical_budgeted_wte=0.6,
    registered_clinical_wte=0.8, headcount=1, clinical_wte_months=0.8,
    clinical_headcount_months=1, available_fte_days=24, contracted_clinical_hours=0.8 * 30 * WEEK,
    teams=1, staff_at_start=1, staff_stayed=1,
    follow_up_contacts=2,
)  # fmt: skip

# --- RXA-TH1, June --------------------------------------------------------------------------
# Contacts T01-T05: booked 5, attended T01 T02 T03 T05 = 4, missed T04 = 1 (5 attended or not);
#   all 4 attended face to face, visits T03 T05 = 2, clinic T01 T02 = 2, T02 at 13:00 (at or
#   after 1pm) = 1; 45 + 60 + 45 + 60 = 210 min = 3.5 h, travel 25 + 20 = 45 min = 0.75 h,
#   delivery 4.25 h; interventions 2 + 1 + 2 + 1 = 6; booked 210 + 30 = 4 h, lost 0.5 h; none
#   delegable. Bands 2-4 (20000007, band 4 in ESR): T03 0.75 h; band 7+ (20000006): T01 T02
#   105 min = 1.75 h (A9000002, agency, has no band).
# Shifts: 20000006 7.5, 20000007 7.5, A9000002 4 (agency) = 19 clinical hours on 3 shift days,
#   covering the 3rd and 10th = 2 days; agency 4 h; bands 2-4: 20000007's 7.5 (ESR's band 4,
#   though the post worked was band 5). Indirect 19 - 3.5 - 0.75 = 14.75, non-clinical 15.5.
# Establishment: 20000006 1.0 (band 7) and 20000007 1.0 (band 4) in post = 2.0, both clinical;
#   budget 2.0, none vacant; 60 WTE days, 3 sick; contracted 2 x 37.5 / 7 x 30 = 2250 / 7.
#   At the start of June both (20000006 started on 1 May), both stayed.
# Referrals TR1-TR5: received in June TR2 (self), TR3 (acute, urgent) = 2; TR2 accepted the
#   next day (triaged 1, 1 day), TR3 not triaged yet (so neither waiting nor on the caseload).
#   First contacts: TR1 (20 May 09:00 to 3 June 09:30: 14 days 30 min = 20,190 min; accepted
#   21 May: 13 days) and TR2 (1 June 10:00 to 3 June 13:00: 2 days 3 h = 3,060 min; 1 day after
#   acceptance) = 2, 23,250 / 1440 days, both within 18 weeks and 14 days of acceptance.
#   Caseload TR1 TR2 TR4 TR5 = 4; seen by TH1 in June P11 (T01), P12 (T02), P04 (T03) = 3, not
#   P01 (seen by DN1 only). Follow-ups 4 - 2 = 2. May received 1 (SR2): change +1.
RXA_TH1_JUNE = measures(
    contacts_booked=5, contacts_attended=4, contacts_dna=1, attended_or_dna=5,
    contacts_attended_f2f=4, visits=2, clinic_contacts=2, clinic_contacts_after_1pm=1,
    clinical_hours=3.5, travel_hours=0.75, delivery_hours=4.25, interventions=6, booked_hours=4,
    lost_hours=0.5, clinical_hours_band_2_4=0.75, clinical_hours_band_7_plus=1.75,
    whole_contacts_attended=4, whole_clinical_hours=3.5,
    clinical_shift_days=3, clinical_shift_hours=19, shift_hours=19, bank_agency_hours=4,
    indirect_hours=14.75, non_clinical_hours=15.5, shift_hours_band_2_4=7.5, covered_days=2,
    calendar_days=30,
    wte_in_post=2, budgeted_wte=2, clinical_wte=2, clinical_budgeted_wte=2,
    registered_clinical_wte=1, unregistered_clinical_wte=1, headcount=2, clinical_wte_months=2,
    clinical_headcount_months=2, available_fte_days=60, sickness_fte_days=3,
    contracted_clinical_hours=2 * 30 * WEEK, teams=1, staff_at_start=2, staff_stayed=2,
    referrals_received=2, referrals_received_previous=1, referrals_received_change=1,
    referrals_urgent=1, referrals_triaged=1, referrals_accepted=1, days_to_acceptance=1,
    first_contacts=2, days_to_first_contact=23_250 / 1440, first_contacts_within_18_weeks=2,
    accepted_first_contacts=2, first_contacts_within_14_days=2, follow_up_contacts=2,
    caseload=4, caseload_end=4, caseload_months=4, caseload_reviewed=3,
)  # fmt: skip

# --- RXA as a whole, June: its three teams' measures summed ---------------------------------
# 20 booked, 15 attended, 3 missed (a DNA rate of 3 / 18), 13 face to face, 8 visits; 10.5
# contact hours, 41.5 + 1.5 + 19 = 62 clinical shift hours on 5 + 2 + 3 = 10 shift days (the
# agency therapist's 10 June in two teams is two); indirect 34.75 + 0 + 14.75 = 49.5 (the net
# 62 - 10.5 - 2.5 = 49 would let DN2's excess offset the others); vacant 1.2 + 0 + 0 = 1.2 of
# 7.1 budgeted (not 7.1 - 6.1 = 1.0); 5.6 clinical WTE, contracted 5.6 x 37.5 / 7 x 30 = 900 h;
# stability 6 of 7; received 5 (May 3), caseload 8.
RXA_JUNE_ALL = measures(
    contacts_booked=20, contacts_attended=15, contacts_dna=3, attended_or_dna=18,
    contacts_attended_f2f=13, visits=8, clinic_contacts=5, clinic_contacts_after_1pm=3,
    clinical_hours=10.5, travel_hours=2.5, delivery_hours=13, interventions=20,
    booked_hours=13, lost_hours=2.5, delegable_contacts=4, delegable_contacts_band_2_4=1,
    clinical_hours_band_2_4=1.25, clinical_hours_band_7_plus=3.25, whole_contacts_attended=15,
    whole_clinical_hours=10.5,
    clinical_shift_days=10, clinical_shift_hours=62, shift_hours=68, bank_agency_hours=15.5,
    overtime_hours=7.5, indirect_hours=49.5, non_clinical_hours=51.5, shift_hours_band_2_4=15,
    covered_days=8, calendar_days=90,
    wte_in_post=6.1, budgeted_wte=7.1, vacant_wte=1.2, clinical_wte=5.6,
    clinical_budgeted_wte=6.6, registered_clinical_wte=3.8, unregistered_clinical_wte=1.8,
    headcount=7, clinical_wte_months=5.6, clinical_headcount_months=6, available_fte_days=183,
    sickness_fte_days=5, leavers=1, contracted_clinical_hours=900, teams=3, staff_at_start=7,
    staff_stayed=6,
    referrals_received=5, referrals_received_previous=3, referrals_received_change=2,
    referrals_urgent=2, referrals_from_gp=1, referrals_triaged=5, referrals_accepted=4,
    days_to_acceptance=10, discharges=2, referral_days_at_discharge=137, first_contacts=5,
    days_to_first_contact=223_290 / 1440, first_contacts_within_18_weeks=4,
    urgent_first_contacts=2, urgent_first_contacts_within_2_hours=1, accepted_first_contacts=5,
    first_contacts_within_14_days=4, follow_up_contacts=10, caseload=8, caseload_end=8,
    caseload_months=8, caseload_reviewed=6, waiting_list=2, waiting_list_end=2,
    waiting_under_18_weeks=1,
)  # fmt: skip

# --- RXA by band group, June (the staff member's band in ESR, else on the roster) -----------
# A band's share of attended contacts or contact hours is over the whole provider's: 15
# contacts, 10.5 hours (DN2 has no band 2-4, 5 or 6 staff at all, TH1 none of band 5 or 6).
# Bands 2-4: 20000002 (DN1, band 3), 20000005 (DN1, admin, band 4), 20000007 (TH1, band 4).
#   Contacts C05 C06 C07 T03 T04: booked 5, attended C05 T03 = 2 (both visits), missed C06 T04
#   = 2; 30 + 45 min = 1.25 h, travel 20 + 25 min = 0.75 h; interventions 1 + 2 = 3; booked
#   165 min = 2.75 h, lost 90 min = 1.5 h; delegable attended C05 = 1, by bands 2-4 1.
#   Shifts: clinical 7.5 + 7.5 = 15 h on 2 days, all shifts 15 + 4 (20000005) = 19, overtime 7.5.
#   Indirect per team: DN1 7.5 - 0.5 - 20/60, TH1 7.5 - 0.75 - 25/60: 13 in all; non-clinical
#   7 + 6.75 = 13.75. Establishment: 0.8 + 0.5 + 1.0 = 2.3 WTE, headcount 3, clinical 1.8
#   (headcount 2, all unregistered); budget 1.0 + 0.5 + 1.0 = 2.5, clinical 2.0; vacant DN1
#   1.5 - 1.3 = 0.2; 24 + 15 + 30 = 69 WTE days; contracted 1.8 x 37.5 / 7 x 30.
RXA_BAND_2_4_JUNE = measures(
    contacts_booked=5, contacts_attended=2, contacts_dna=2, attended_or_dna=4,
    contacts_attended_f2f=2, visits=2, clinical_hours=1.25, travel_hours=0.75, delivery_hours=2,
    interventions=3, booked_hours=2.75, lost_hours=1.5, delegable_contacts=1,
    delegable_contacts_band_2_4=1, clinical_hours_band_2_4=1.25, whole_contacts_attended=15,
    whole_clinical_hours=10.5,
    clinical_shift_days=2, clinical_shift_hours=15, shift_hours=19, overtime_hours=7.5,
    indirect_hours=13, non_clinical_hours=13.75, shift_hours_band_2_4=15,
    wte_in_post=2.3, budgeted_wte=2.5, vacant_wte=0.2, clinical_wte=1.8,
    clinical_budgeted_wte=2, unregistered_clinical_wte=1.8, headcount=3, clinical_wte_months=1.8,
    clinical_headcount_months=2, available_fte_days=69, contracted_clinical_hours=1.8 * 30 * WEEK,
)  # fmt: skip
# Band 5: 20000003 (leaver), 20000008 (joiner), the vacant DN1-P4 and B9000001 (bank, band 5 on
#   the roster only). Contacts C08 C09 C10 C11: all attended, face to face C08 C09 (visits)
#   C10 (clinic, 09:30), C11 video; 45 + 45 + 30 + 45 = 165 min = 2.75 h, travel 30 min;
#   interventions 4; delegable C08 (medication) C10 (venepuncture) = 2, none by bands 2-4.
#   Shifts: 7.5 + 7.5 + 11 = 26 h on 3 days, 11 of them bank; indirect 26 - 2.75 - 0.5 = 22.75,
#   non-clinical 23.25. Establishment: 20000008 1.0 in post (20000003 left), budget DN1-P3 1.0
#   + DN1-P4 1.0 = 2, vacant 1; 15 + 15 WTE days; 1 leaver.
RXA_BAND_5_JUNE = measures(
    contacts_booked=4, contacts_attended=4, attended_or_dna=4, contacts_attended_f2f=3,
    visits=2, clinic_contacts=1, clinical_hours=2.75, travel_hours=0.5, delivery_hours=3.25,
    interventions=4, booked_hours=2.75, delegable_contacts=2, whole_contacts_attended=15,
    whole_clinical_hours=10.5,
    clinical_shift_days=3, clinical_shift_hours=26, shift_hours=26, bank_agency_hours=11,
    indirect_hours=22.75, non_clinical_hours=23.25,
    wte_in_post=1, budgeted_wte=2, vacant_wte=1, clinical_wte=1, clinical_budgeted_wte=2,
    registered_clinical_wte=1, headcount=1, clinical_wte_months=1, clinical_headcount_months=1,
    available_fte_days=30, leavers=1, contracted_clinical_hours=30 * WEEK,
)  # fmt: skip
# Band 6: 20000001. Contacts C01 C02 C03 C04 C12: attended 4, missed C12; face to face C01 C02
#   (visits) C03 (clinic at 14:00); 30 + 45 + 30 + 30 = 135 min = 2.25 h, travel 25 min;
#   interventions 5; booked 165 min, lost 30; delegable C02 = 1. Shifts: clinical 8 h on 1 day,
#   with training 10 h; indirect 8 - 2.25 - 25/60, non-clinical 5.75. Establishment 1.0 of a
#   1.0 budget, 30 WTE days, 2 sick.
RXA_BAND_6_JUNE = measures(
    contacts_booked=5, contacts_attended=4, contacts_dna=1, attended_or_dna=5,
    contacts_attended_f2f=3, visits=2, clinic_contacts=1, clinic_contacts_after_1pm=1,
    clinical_hours=2.25, travel_hours=25 * H, delivery_hours=2.25 + 25 * H, interventions=5,
    booked_hours=2.75, lost_hours=0.5, delegable_contacts=1, whole_contacts_attended=15,
    whole_clinical_hours=10.5,
    clinical_shift_days=1, clinical_shift_hours=8, shift_hours=10,
    indirect_hours=8 - 2.25 - 25 * H, non_clinical_hours=5.75,
    wte_in_post=1, budgeted_wte=1, clinical_wte=1, clinical_budgeted_wte=1,
    registered_clinical_wte=1, headcount=1, clinical_wte_months=1, clinical_headcount_months=1,
    available_fte_days=30, sickness_fte_days=2, contracted_clinical_hours=30 * WEEK,
)  # fmt: skip
# Band 7+: 20000004 (DN2), 20000006 (TH1). Contacts D01 D02 D03 T01 T02: attended 4, all face
#   to face, a visit D01, clinics D02 (13:30) T01 (09:30) T02 (13:00): 2 after 1pm; 60 + 30 + 45
#   + 60 = 195 min = 3.25 h, travel 0.5 h; interventions 3 + 1 + 2 + 1 = 7; booked 225 min, lost
#   (D03) 0.5 h. Shifts 1 + 7.5 = 8.5 h on 2 days; indirect per team: DN2 max(1 - 1.5 - 0.5, 0)
#   = 0, TH1 7.5 - 1.75 = 5.75 (not the net 4.75); non-clinical DN2 max(1 - 1.5, 0) = 0 + TH1
#   5.75 (not the net 5.25). A9000002's half hour in DN2 has no band. Establishment 0.8 + 1.0 =
#   1.8 WTE, budget 0.6 + 1.0 = 1.6, vacant 0 + 0 (DN2's excess offsets nothing); 24 + 30 WTE
#   days, 3 sick.
RXA_BAND_7_PLUS_JUNE = measures(
    contacts_booked=5, contacts_attended=4, attended_or_dna=4, contacts_attended_f2f=4,
    visits=1, clinic_contacts=3, clinic_contacts_after_1pm=2, clinical_hours=3.25,
    travel_hours=0.5, delivery_hours=3.75, interventions=7, booked_hours=3.75, lost_hours=0.5,
    clinical_hours_band_7_plus=3.25, whole_contacts_attended=15, whole_clinical_hours=10.5,
    clinical_shift_days=2, clinical_shift_hours=8.5, shift_hours=8.5, indirect_hours=5.75,
    non_clinical_hours=5.75,
    wte_in_post=1.8, budgeted_wte=1.6, clinical_wte=1.8, clinical_budgeted_wte=1.6,
    registered_clinical_wte=1.8, headcount=2, clinical_wte_months=1.8,
    clinical_headcount_months=2, available_fte_days=54, sickness_fte_days=3,
    contracted_clinical_hours=1.8 * 30 * WEEK,
)  # fmt: skip

# --- RXA by activity type, June (C04 has none: in no activity's slice) ----------------------
# (booked, attended, missed, attended or missed, attended face to face, visits, contact hours)
RXA_ACTIVITIES_JUNE = {
    "activity_wound_care": (3, 2, 1, 3, 2, 1, 1.0),  # C01 C03, missed C12; C03 at a clinic
    "activity_insulin": (2, 2, 0, 2, 2, 2, 1.25),  # C02 C05
    "activity_medication": (1, 1, 0, 1, 1, 1, 0.75),  # C08
    "activity_palliative": (3, 2, 0, 2, 2, 2, 1.75),  # C09 D01, D03 cancelled
    "activity_venepuncture": (2, 1, 1, 2, 1, 0, 0.5),  # C10 at a clinic, missed C06
    "activity_continence": (1, 0, 0, 0, 0, 0, 0.0),  # C07 cancelled: no DNA rate (0 of 0)
    "activity_assessment": (2, 2, 0, 2, 1, 0, 1.75),  # C11 video, T02 clinic
    "activity_diagnostics": (1, 1, 0, 1, 1, 0, 0.5),  # D02 clinic
    "activity_rehabilitation": (4, 3, 1, 4, 3, 2, 2.5),  # T01 T03 T05, missed T04
}


# --- RXA's standard month (every month but June 2025), the provider as a whole --------------
# Contacts: S1 (DN1, attended visit, 60 min, 15 min travel, wound care), S2 (DN2, missed
#   telephone, 30 min), S3 (TH1, attended clinic at 10:00 by 20000007, band 4, 30 min).
# Shifts: 20000001 7.5 h (DN1), 20000004 4 h (DN2), 20000007 7.5 h (TH1): 19 h on 3 days, each
#   team covering 1 day; indirect DN1 7.5 - 1 - 0.25 + DN2 4 + TH1 7.5 - 0.5 = 17.25,
#   non-clinical 6.5 + 4 + 7 = 17.5.
# Establishment as June's but 20000003 in post and not leaving, no sickness, and TH1-P1 vacant
#   before May 2025 (`therapist` from May): in post 3.3 + 0.8 + 1.0 (+ 1.0) WTE, headcount
#   4 + 1 + 1 (+ 1), clinical 2.8 + 0.8 + 1.0 (+ 1.0), registered 2.0 + 0.8 (+ 1.0),
#   unregistered 0.8 + 1.0; budget 4.5 + 0.6 + 2.0 = 7.1 (clinical 6.6); vacant DN1 1.2 + TH1
#   (1 without the therapist); WTE days = WTE in post x the month's days.
# Referrals: SR1 (DN1, GP, accepted on receipt, seen the next day 09:00, 24 h: on the caseload,
#   P01 seen by DN1 that month), SR2 (TH1, urgent, accepted, not seen: waiting), SR3 (DN1,
#   accepted, seen after 1 h, discharged 10 days after receipt). Received 3, urgent 1, GP 1,
#   triaged and accepted 3 (0 days), 1 discharge (10 days), first contacts 2 (1,440 + 60 min),
#   caseload 1 (reviewed), waiting 1 (under 18 weeks). Follow-ups per team: DN1 max(1 - 2, 0)
#   = 0, TH1 1 - 0 = 1: 1 (not the net 2 - 2 = 0).
def rxa_standard(days: int, therapist: bool) -> dict[str, float]:
    t = 1.0 if therapist else 0.0
    return measures(
        contacts_booked=3, contacts_attended=2, contacts_dna=1, attended_or_dna=3,
        contacts_attended_f2f=2, visits=1, clinic_contacts=1, clinical_hours=1.5,
        travel_hours=0.25, delivery_hours=1.75, interventions=2, booked_hours=2, lost_hours=0.5,
        clinical_hours_band_2_4=0.5, whole_contacts_attended=2, whole_clinical_hours=1.5,
        clinical_shift_days=3, clinical_shift_hours=19, shift_hours=19, indirect_hours=17.25,
        non_clinical_hours=17.5, shift_hours_band_2_4=7.5, covered_days=3, calendar_days=3 * days,
        wte_in_post=5.1 + t, budgeted_wte=7.1, vacant_wte=2.2 - t, clinical_wte=4.6 + t,
        clinical_budgeted_wte=6.6, registered_clinical_wte=2.8 + t, unregistered_clinical_wte=1.8,
        headcount=6 + t, clinical_wte_months=4.6 + t, clinical_headcount_months=5 + t,
        available_fte_days=(5.1 + t) * days, contracted_clinical_hours=(4.6 + t) * days * WEEK,
        teams=3,
        referrals_received=3, referrals_urgent=1, referrals_from_gp=1, referrals_triaged=3,
        referrals_accepted=3, discharges=1, referral_days_at_discharge=10, first_contacts=2,
        days_to_first_contact=1500 / 1440, first_contacts_within_18_weeks=2,
        accepted_first_contacts=2, first_contacts_within_14_days=2, follow_up_contacts=1,
        caseload=1, caseload_end=1, caseload_months=1, caseload_reviewed=1, waiting_list=1,
        waiting_list_end=1, waiting_under_18_weeks=1,
    )  # fmt: skip


# April 2025 (30 days, no therapist yet): at the start and the end 20000001 20000002 20000003
# 20000005 20000004 20000007 = 6 of 6; March's referrals 3. May 2025 (31 days): 20000006 started
# on 1 May, not before it: 6 of 6 again; April's referrals 3.
RXA_APRIL = rxa_standard(30, therapist=False) | {
    "staff_at_start": 6, "staff_stayed": 6, "referrals_received_previous": 3,
    "referrals_received_change": 0,
}  # fmt: skip
RXA_MAY = rxa_standard(31, therapist=True) | {
    "staff_at_start": 6, "staff_stayed": 6, "referrals_received_previous": 3,
    "referrals_received_change": 0,
}  # fmt: skip

# --- RXA, the quarter April-June 2025: April + May + June -----------------------------------
# Flows are summed (contacts 2 + 2 + 15 ...), stocks averaged over the three month ends
# (WTE in post (5.1 + 6.1 + 6.1) / 3, caseload (1 + 1 + 8) / 3 ...) or taken at June's end
# (caseload 8, waiting list 2); the establishment's days: April 5.1 x 30 = 153, May
# 6.1 x 31 = 189.1, June 183; contracted hours (4.6 x 30 + 5.6 x 31 + 5.6 x 30) x 37.5 / 7.
# Stability over the quarter: in post on 1 April (April's establishment, started before it):
# 20000001 20000002 20000003 20000005 (DN1), 20000004 (DN2), 20000007 (TH1) = 6 (20000006
# started in May, 20000008 in June); still in post in the same team at 30 June: all but
# 20000003 = 5. Referrals received 3 + 3 + 5 = 11 against January-March's 3 x 3 = 9: +2.
RXA_QUARTER = measures(
    contacts_booked=26, contacts_attended=19, contacts_dna=5, attended_or_dna=24,
    contacts_attended_f2f=17, visits=10, clinic_contacts=7, clinic_contacts_after_1pm=3,
    clinical_hours=13.5, travel_hours=3, delivery_hours=16.5, interventions=24,
    booked_hours=17, lost_hours=3.5, delegable_contacts=4, delegable_contacts_band_2_4=1,
    clinical_hours_band_2_4=2.25, clinical_hours_band_7_plus=3.25, whole_contacts_attended=19,
    whole_clinical_hours=13.5,
    clinical_shift_days=16, clinical_shift_hours=100, shift_hours=106, bank_agency_hours=15.5,
    overtime_hours=7.5, indirect_hours=84, non_clinical_hours=86.5, shift_hours_band_2_4=30,
    covered_days=14, calendar_days=3 * (30 + 31 + 30),
    wte_in_post=17.3 / 3, budgeted_wte=7.1, vacant_wte=4.6 / 3, clinical_wte=15.8 / 3,
    clinical_budgeted_wte=6.6, registered_clinical_wte=10.4 / 3, unregistered_clinical_wte=1.8,
    headcount=20 / 3, clinical_wte_months=15.8, clinical_headcount_months=17,
    available_fte_days=525.1, sickness_fte_days=5, leavers=1,
    contracted_clinical_hours=(4.6 * 30 + 5.6 * 31 + 5.6 * 30) * WEEK, teams=3,
    staff_at_start=6, staff_stayed=5,
    referrals_received=11, referrals_received_previous=9, referrals_received_change=2,
    referrals_urgent=4, referrals_from_gp=3, referrals_triaged=11, referrals_accepted=10,
    days_to_acceptance=10, discharges=4, referral_days_at_discharge=157, first_contacts=9,
    days_to_first_contact=(1500 + 1500 + 223_290) / 1440, first_contacts_within_18_weeks=8,
    urgent_first_contacts=2, urgent_first_contacts_within_2_hours=1, accepted_first_contacts=9,
    first_contacts_within_14_days=8, follow_up_contacts=12, caseload=10 / 3, caseload_end=8,
    caseload_months=10, caseload_reviewed=8 / 3, waiting_list=4 / 3, waiting_list_end=2,
    waiting_under_18_weeks=1,
)  # fmt: skip

# --- RXA, the 12 months July 2024 to June 2025 -----------------------------------------------
# July and August 2024 (31 days each) are standard months before DN2 opened: 2 attended contacts
# (DN2's was a missed one), 7.5 + 7.5 = 15 clinical shift hours on 2 shift days covering 2 days
# of 2 teams; in post DN1 3.3 + TH1 1.0 = 4.3 WTE (headcount 5), clinical 3.8, budget 4.5 + 2.0 =
# 6.5, vacant 1.2 + 1.0 = 2.2. Then eight standard months with DN2 and without the therapist
# (September to April: 30 + 31 + 30 + 31 + 31 + 28 + 31 + 30 = 242 days), May with her (31 days)
# and June (30): (metric, numerator, denominator).
RXA_ROLLING_12 = [
    ("OP_CONTACTS_PER_SHIFT_DAY", 2 * 11 + 15, 2 + 2 + 3 * 9 + 10),
    ("OP_CLINICAL_SHIFT_PCT", 1.5 * 11 + 10.5, 15 + 15 + 19 * 9 + 62),
    ("OP_SERVICE_COVERAGE", 2 + 2 + 3 * 9 + 8, 2 * (31 + 31) + 3 * (242 + 31 + 30)),
    ("OP_CONTACTS_PER_WTE", 2 * 11 + 15, 3.8 * 2 + 4.6 * 8 + 5.6 + 5.6),
    # WTE in post averaged over the 12 months: (4.3 x 2 + 5.1 x 8 + 6.1 x 2) / 12, over teams
    # with staff (2 x 2 + 3 x 10) / 12
    ("OP_AVERAGE_TEAM_WTE", (4.3 * 2 + 5.1 * 8 + 6.1 * 2) / 12, (2 * 2 + 3 * 10) / 12),
    # leavers over the headcount averaged over 12 month ends: the annual turnover
    ("OP_TURNOVER_RATE", 1, (5 * 2 + 6 * 8 + 7 + 7) / 12),
    # in post on 1 July 2024 20000001 20000002 20000003 20000005 (DN1) and 20000007 (TH1) = 5,
    # all but 20000003 still there on 30 June 2025
    ("OP_STABILITY_INDEX", 4, 5),
    ("OP_SICKNESS_RATE", 5, 4.3 * 62 + 5.1 * 242 + 6.1 * 31 + 183),
    ("OP_VACANCY_RATE", (2.2 * 10 + 1.2 + 1.2) / 12, (6.5 * 2 + 7.1 * 10) / 12),
    ("OP_CASELOAD_PER_WTE", (1 * 11 + 8) / 12, (3.8 * 2 + 4.6 * 8 + 5.6 + 5.6) / 12),
    ("OP_CLINICAL_AVAILABILITY_PCT", 15 + 15 + 19 * 9 + 62,
     (3.8 * 62 + 4.6 * 242 + 5.6 * 31 + 5.6 * 30) * WEEK),
    ("OP_NEW_REFERRALS", 3 * 11 + 5, None),
    ("OP_ACTIVE_CASELOAD", 8, None),  # June's end
    ("OP_WAITING_LIST", 2, None),
]  # fmt: skip
# RXA-DN2 over the same 12 months: ten months from September, each with 0.8 WTE in post on a
# 0.6 budget and one day covered by a clinical shift (June two); its only attended contacts are
# June's 2. Its stocks are averaged over the period's 12 months, as the provider's are (so that
# the teams add up to the provider): 0.8 x 10 / 12 WTE in post, 10 / 12 teams with staff, a
# budget of 0.6 x 10 / 12.
RXA_DN2_ROLLING_12 = [
    ("OP_AVERAGE_TEAM_WTE", 0.8 * 10 / 12, 10 / 12),
    ("OP_TURNOVER_RATE", 0, 10 / 12),
    ("OP_VACANCY_RATE", 0, 0.6 * 10 / 12),
    ("OP_CONTACTS_PER_WTE", 2, 0.8 * 10),  # WTE summed over the months: 8 WTE-months
    ("OP_SERVICE_COVERAGE", 9 + 2, 242 + 31 + 30),  # calendar days from September only
]  # fmt: skip


# --- RXB (one team, RXB-DN1): every month the same ------------------------------------------
# Contacts B1 (attended visit, 60 min, 20 travel, band 6), B2 (attended visit, 30 min, 10 travel,
# insulin by 30000002, band 3: delegated), B3 (missed visit, 30 min): 1.5 contact hours, 0.5 of
# travel. Shifts 7.5 + 4 = 11.5 h (4 by band 3) on 2 staff-days, 1 day covered; indirect
# 11.5 - 1.5 - 0.5 = 9.5, non-clinical 10. Establishment 2 WTE (1.0 band 6, 1.0 band 3), fully
# budgeted, contracted 2 x 37.5 / 7 a day. BR1 received from a GP, accepted, seen after 24 h (1
# day) and on the caseload (P20 seen by B1); follow-ups 2 - 1 = 1.
def rxb_month(days: int) -> dict[str, float]:
    return measures(
        contacts_booked=3, contacts_attended=2, contacts_dna=1, attended_or_dna=3,
        contacts_attended_f2f=2, visits=2, clinical_hours=1.5, travel_hours=0.5,
        delivery_hours=2, interventions=2, booked_hours=2, lost_hours=0.5, delegable_contacts=1,
        delegable_contacts_band_2_4=1, clinical_hours_band_2_4=0.5, whole_contacts_attended=2,
        whole_clinical_hours=1.5,
        clinical_shift_days=2, clinical_shift_hours=11.5, shift_hours=11.5, indirect_hours=9.5,
        non_clinical_hours=10, shift_hours_band_2_4=4, covered_days=1, calendar_days=days,
        wte_in_post=2, budgeted_wte=2, clinical_wte=2, clinical_budgeted_wte=2,
        registered_clinical_wte=1, unregistered_clinical_wte=1, headcount=2,
        clinical_wte_months=2, clinical_headcount_months=2, available_fte_days=2 * days,
        contracted_clinical_hours=2 * days * WEEK, teams=1, staff_at_start=2, staff_stayed=2,
        referrals_received=1, referrals_from_gp=1, referrals_triaged=1, referrals_accepted=1,
        first_contacts=1, days_to_first_contact=1, first_contacts_within_18_weeks=1,
        accepted_first_contacts=1, first_contacts_within_14_days=1, follow_up_contacts=1,
        caseload=1, caseload_end=1, caseload_months=1, caseload_reviewed=1,
    )  # fmt: skip


# January-March 2025 (31 + 28 + 31 days), February without its establishment: the contacts',
# shifts' and referrals' measures of three months (contacts 3 x 2 on 3 x 2 shift days); no
# establishment measure, as the establishment was not sent for every month of the quarter.
RXB_QUARTER = measures(
    contacts_booked=9, contacts_attended=6, contacts_dna=3, attended_or_dna=9,
    contacts_attended_f2f=6, visits=6, clinical_hours=4.5, travel_hours=1.5, delivery_hours=6,
    interventions=6, booked_hours=6, lost_hours=1.5, delegable_contacts=3,
    delegable_contacts_band_2_4=3, clinical_hours_band_2_4=1.5, whole_contacts_attended=6,
    whole_clinical_hours=4.5,
    clinical_shift_days=6, clinical_shift_hours=34.5, shift_hours=34.5, indirect_hours=28.5,
    non_clinical_hours=30, shift_hours_band_2_4=12, covered_days=3, calendar_days=90,
    referrals_received=3, referrals_from_gp=3, referrals_triaged=3, referrals_accepted=3,
    first_contacts=3, days_to_first_contact=3, first_contacts_within_18_weeks=3,
    accepted_first_contacts=3, first_contacts_within_14_days=3, follow_up_contacts=3,
    caseload=1, caseload_end=1, caseload_months=3, caseload_reviewed=1,
)  # fmt: skip


# ---------------------------------------------------------------------------------------------
# The catalogue: which measures each metric divides
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    code: str
    numerator: str
    denominator: str | None  # None for a count or total ('sum')
    multiplier: float
    service_lines: tuple[str, ...]


def _catalogue() -> dict[str, Metric]:
    with CATALOGUE.open(newline="") as handle:
        return {
            row["metric_code"]: Metric(
                row["metric_code"],
                row["numerator_measure"],
                row["denominator_measure"] or None,
                float(row["multiplier"]),
                tuple(row["service_lines"].split("|")),
            )
            for row in csv.DictReader(handle)
            if row["collection"] == "operational"
        }


METRICS = _catalogue()
ESR_MEASURES = {"wte_in_post", "budgeted_wte", "vacant_wte", "clinical_wte",
                "clinical_budgeted_wte", "registered_clinical_wte", "unregistered_clinical_wte",
                "headcount", "clinical_wte_months", "clinical_headcount_months",
                "available_fte_days", "sickness_fte_days", "leavers", "contracted_clinical_hours",
                "teams", "staff_at_start", "staff_stayed"}  # fmt: skip

# (numerator, denominator, value) of each metric at one level and period
Found = dict[str, tuple[float, float | None, float | None]]
Expected = dict[str, tuple[float, float | None]]


def expected(level: dict[str, float], service_line: str = "all") -> Expected:
    """Every metric given for the service line, its numerator and denominator the level's
    hand-computed measures."""
    return {
        m.code: (level[m.numerator], None if m.denominator is None else level[m.denominator])
        for m in METRICS.values()
        if service_line in m.service_lines
    }


def without(expected: Expected, *codes: str, establishment: bool = False) -> Expected:
    """The metrics but those named (and, with `establishment`, those of an establishment not
    sent: a numerator or denominator from ESR)."""
    dropped = set(codes)
    if establishment:
        dropped |= {c for c, m in METRICS.items() if {m.numerator, m.denominator} & ESR_MEASURES}
    return {code: value for code, value in expected.items() if code not in dropped}


# ---------------------------------------------------------------------------------------------
# One home for the module
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    home: Path
    values: pd.DataFrame  # marts.fct_metric_value, operational rows
    benchmarks: pd.DataFrame  # marts.fct_benchmark, operational rows


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        use_home(home, patch)
        land_extracts(home)
        build(home)
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
            values, benchmarks = (
                connection.sql(f"select * from marts.{table} where collection = 'operational'").df()
                for table in ("fct_metric_value", "fct_benchmark")
            )
        yield Built(home, values, benchmarks)


def found(
    built: Built,
    organisation: str,
    period_start: str,
    grain: str = "month",
    service_line: str = "all",
    team: str | None = None,
) -> Found:
    values = built.values
    rows = values[
        (values["organisation_code"] == organisation)
        & (values["team_code"].isna() if team is None else values["team_code"] == team)
        & (values["service_line"] == service_line)
        & (values["grain"] == grain)
        & (values["period_start"] == pd.Timestamp(period_start))
    ]
    assert rows["metric_code"].is_unique
    return {
        row.metric_code: (
            row.numerator,
            None if pd.isna(row.denominator) else row.denominator,
            None if pd.isna(row.value) else row.value,
        )
        for row in rows.itertuples()
    }


def close(found: object, expected: object) -> bool:
    """Equal, numbers within rounding (1e-9), None only to None, through dicts and tuples."""
    if isinstance(expected, dict):
        assert isinstance(found, dict)
        return found.keys() == expected.keys() and all(close(found[k], expected[k]) for k in found)
    if isinstance(expected, tuple | list):
        assert isinstance(found, tuple | list)
        return len(found) == len(expected) and all(map(close, found, expected))
    if found is None or expected is None:
        return found is expected
    assert isinstance(found, numbers.Real) and isinstance(expected, numbers.Real)
    return math.isclose(found, expected, rel_tol=1e-9, abs_tol=1e-9)


def assert_values(found: Found, expected: Expected) -> None:
    """The same metrics, each with the hand-computed numerator and denominator, and the value
    the catalogue makes of them (a ratio's x multiplier, none over 0; a count's numerator)."""
    assert sorted(found) == sorted(expected)
    wrong = {}
    for code, (numerator, denominator) in expected.items():
        metric = METRICS[code]
        if denominator is None:
            value = numerator
        else:
            value = numerator / denominator * metric.multiplier if denominator else None
        if not close(found[code], (numerator, denominator, value)):
            wrong[code] = {"found": found[code], "expected": (numerator, denominator, value)}
    assert not wrong, "\n".join(f"{code}: {why}" for code, why in sorted(wrong.items()))


# ---------------------------------------------------------------------------------------------
# NHS numbers and pseudonyms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        # 9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2 = 299 = 27*11 + 2; 11 - 2 = 9
        ("9434765919", True),
        ("9434765918", False),  # same stem, wrong check digit
        # 4*10 + 0 + 1*8 + 0 + 2*6 + 3*5 + 2*4 + 1*3 + 3*2 = 92 = 8*11 + 4; 11 - 4 = 7
        ("4010232137", True),
        # 9*10 + 9*9 + 9*8 + 1*2 = 245 = 22*11 + 3; 11 - 3 = 8
        ("9990000018", True),
        # 9*10 + 9*9 + 9*8 + 5*2 = 253 = 23*11 + 0; 11 - 0 = 11, written 0
        ("9990000050", True),
        # 9*10 + 9*9 + 9*8 = 243 = 22*11 + 1; 11 - 1 = 10: no valid number has this stem
        ("9990000000", False),
        ("943476591", False),  # nine digits
        ("94347659190", False),  # eleven digits
        ("943 476 5919", False),  # spaced, as printed on letters: not the canonical form
        ("943476591A", False),
        ("", False),
    ],
)
def test_nhs_number_validation(number: str, valid: bool) -> None:
    assert is_valid_nhs_number(number) is valid


def test_pseudonyms_are_keyed_domain_separated_and_stable() -> None:
    key, other_key = b"k" * 32, b"q" * 32
    values = pd.Series(["9434765919", None, "9434765919"])
    pseudonyms = pseudonymise(values, key, "nhs_number")
    assert pseudonyms[0] == pseudonyms[2] and pd.isna(pseudonyms[1])
    assert re.fullmatch(r"[0-9a-f]{32}", pseudonyms[0])
    assert pseudonymise(values, other_key, "nhs_number")[0] != pseudonyms[0]
    assert pseudonymise(values, key, "patient")[0] != pseudonyms[0]
    with pytest.raises(ValueError, match="unknown pseudonym domain"):
        pseudonymise(values, key, "nhs")


def test_the_lake_holds_pseudonyms_and_no_identifier(built: Built) -> None:
    clear = ["9434765919", "9990000018", "9990000050", "4010232137", "20000001", "B9000001"]
    for extract in ("epr_referrals", "epr_contacts", "eroster_shifts", "esr_staff"):
        files = sorted((built.home / "lake" / extract).glob("period=*/data.parquet"))
        assert len(files) == 12  # a partition per month, both providers' rows
        lake = pd.concat(map(pd.read_parquet, files))
        assert not {"nhs_number", "patient_id", "staff_id", "assignment_number",
                    "referral_id"} & set(lake.columns)  # fmt: skip
        text = lake.astype(str).to_csv()
        assert [identifier for identifier in clear if identifier in text] == []
    contacts = pd.read_parquet(built.home / "lake" / "epr_contacts" / "period=2025-06")
    patient = contacts.set_index("contact_id")["patient_pseudonym"]
    assert patient["C04"] == patient["C12"] == patient["T03"]  # P04 in two teams
    assert patient["C05"] != patient["C06"]  # local ids only, each its own


def _rows_scanned(connection: duckdb.DuckDBPyConnection, query: str, profile: Path) -> int:
    """The rows the scans of `query`'s plan gave on (its query profile): a filter pushed into a
    Parquet scan, which skips row groups and files by their statistics, gives on only the rows
    it keeps; a filter the scan cannot take is applied above it, to every row."""
    connection.execute(f"set profiling_output = '{profile}'")
    connection.execute(query).fetchall()

    def scanned(node: dict) -> int:
        own = node.get("intermediate_rows", 0) if "SCAN" in node.get("type", "") else 0
        return own + sum(scanned(child) for child in node.get("children", []))

    return sum(scanned(node) for node in json.loads(profile.read_text())["operator"])


def test_a_months_read_of_the_extracts_skips_the_other_months_files(
    built: Built, tmp_path: Path
) -> None:
    """A refresh of one month reads that month of each extract, not all twelve: the window on
    the staging views' month label (`period`, as int_operational_team_months and
    int_operational_files put it) is taken by the Parquet scan itself. A window on the date
    computed from the label is not: at 40M contacts a month's build read 2.7 GB, every month's
    rows, and took 8.6 s instead of 3.3 s."""
    august = "period >= '2024-08' and period < '2024-09'"
    with duckdb.connect(str(built.home / "warehouse.duckdb"), read_only=True) as connection:
        connection.execute("set enable_profiling = 'json'")
        for extract in ("epr_referrals", "epr_contacts", "eroster_shifts", "esr_staff"):
            view = f"staging.stg_provider__{extract}"
            every_month, in_august = connection.execute(
                f"select count(*), count(*) filter (where {august}) from {view}"
            ).fetchone()
            assert 0 < in_august < every_month
            profile = tmp_path / f"{extract}.json"
            scanned = _rows_scanned(connection, f"select * from {view} where {august}", profile)
            assert scanned == in_august, extract


# ---------------------------------------------------------------------------------------------
# The metrics
# ---------------------------------------------------------------------------------------------


def test_the_catalogue_divides_the_seeds_measures() -> None:
    assert len(METRICS) == 62
    for metric in METRICS.values():
        assert metric.numerator in SEED_MEASURES
        assert metric.denominator is None or metric.denominator in SEED_MEASURES
    assert {m for m, extract in SEED_MEASURES.items() if extract == "esr_staff"} == ESR_MEASURES
    # the band-only and activity-only shares: every other metric is given for the whole ('all')
    assert [m.code for m in METRICS.values() if "all" not in m.service_lines] == [
        "OP_ACTIVITY_BY_BAND",
        "OP_CLINICAL_HOURS_BY_BAND",
        "OP_CLINICAL_HOURS_BY_ACTIVITY",
    ]


@pytest.mark.parametrize(
    ("team", "level"),
    [("RXA-DN1", RXA_DN1_JUNE), ("RXA-DN2", RXA_DN2_JUNE), ("RXA-TH1", RXA_TH1_JUNE)],
)
def test_every_metric_of_a_team_month(built: Built, team: str, level: dict[str, float]) -> None:
    # 59 metrics: all but the two band-only shares
    assert_values(found(built, "RXA", "2025-06-01", team=team), expected(level))


@pytest.mark.parametrize(
    ("month", "level"),
    [("2025-06-01", RXA_JUNE_ALL), ("2025-05-01", RXA_MAY), ("2025-04-01", RXA_APRIL)],
)
def test_every_metric_of_a_provider_month(built: Built, month: str, level: dict) -> None:
    assert_values(found(built, "RXA", month), expected(level))


@pytest.mark.parametrize(
    ("band", "level"),
    [
        ("band_2_4", RXA_BAND_2_4_JUNE),
        ("band_5", RXA_BAND_5_JUNE),
        ("band_6", RXA_BAND_6_JUNE),
        ("band_7_plus", RXA_BAND_7_PLUS_JUNE),
    ],
)
def test_every_metric_of_a_band_group(built: Built, band: str, level: dict[str, float]) -> None:
    # OP_ACTIVITY_BY_BAND over the provider's 15 attended contacts and OP_CLINICAL_HOURS_BY_BAND
    # over its 10.5 hours: band 5's 4 of 15 and 2.75 of 10.5
    assert_values(found(built, "RXA", "2025-06-01", service_line=band), expected(level, band))


def test_the_band_groups_shares_add_up_to_what_has_a_band(built: Built) -> None:
    shares = [
        found(built, "RXA", "2025-06-01", service_line=band)["OP_ACTIVITY_BY_BAND"]
        for band in ("band_2_4", "band_5", "band_6", "band_7_plus")
    ]
    # 2 + 4 + 4 + 4 of 15: the agency therapist's T05 has no band
    assert [numerator for numerator, _, _ in shares] == [2, 4, 4, 4]
    assert sum(value for _, _, value in shares) == pytest.approx(100 * 14 / 15)


@pytest.mark.parametrize(
    ("department", "teams"),
    [
        ("community_nursing", (RXA_DN1_JUNE, RXA_DN2_JUNE)),
        ("community_therapies", (RXA_TH1_JUNE,)),
    ],
)
def test_every_metric_of_a_department(built: Built, department: str, teams: tuple) -> None:
    # community nursing: DN1 and DN2 summed, so a vacancy rate of 1.2 / 5.1 (DN2's 0.2 WTE over
    # its budget is no offset) and a stability of 3 + 1 of 4 + 1
    level = summed(*teams)
    assert_values(
        found(built, "RXA", "2025-06-01", service_line=department), expected(level, department)
    )


@pytest.mark.parametrize("activity", RXA_ACTIVITIES_JUNE)
def test_every_metric_of_an_activity_type(built: Built, activity: str) -> None:
    booked, attended, dna, attended_or_dna, f2f, visits, hours = RXA_ACTIVITIES_JUNE[activity]
    level = measures(
        contacts_booked=booked, contacts_attended=attended, contacts_dna=dna,
        attended_or_dna=attended_or_dna, contacts_attended_f2f=f2f, visits=visits,
        clinical_hours=hours, whole_contacts_attended=15, whole_clinical_hours=10.5,
    )  # fmt: skip
    # DNA rate, utilisation, face to face and home visit shares, contact hours, and the share of
    # the provider's 10.5 contact hours (C04's half hour has no activity: the shares sum to
    # 10 of 10.5)
    assert_values(
        found(built, "RXA", "2025-06-01", service_line=activity), expected(level, activity)
    )


def test_an_activity_without_contacts_has_no_values(built: Built) -> None:
    values = built.values
    assert values[values["service_line"] == "activity_other"].empty
    # a booked activity with nothing attended or missed: a row, with no DNA rate
    assert found(built, "RXA", "2025-06-01", service_line="activity_continence")["OP_DNA_RATE"] == (
        0,
        0,
        None,
    )


def test_every_metric_of_a_quarter(built: Built) -> None:
    # e.g. contacts per shift day (2 + 2 + 15) / (3 + 3 + 10) = 19 / 16; vacancy rate
    # ((2.2 + 1.2 + 1.2) / 3) / 7.1; turnover 1 / ((6 + 7 + 7) / 3); the active caseload June's 8
    assert_values(found(built, "RXA", "2025-04-01", grain="quarter"), expected(RXA_QUARTER))
    # the band-only shares: band 5's contacts are June's 4 (C08 to C11), 2.75 h, of the quarter's
    # 2 + 2 + 15 attended and 1.5 + 1.5 + 10.5 hours
    band_5 = found(built, "RXA", "2025-04-01", grain="quarter", service_line="band_5")
    assert_values(
        {code: band_5[code] for code in ("OP_ACTIVITY_BY_BAND", "OP_CLINICAL_HOURS_BY_BAND")},
        {"OP_ACTIVITY_BY_BAND": (4, 19), "OP_CLINICAL_HOURS_BY_BAND": (2.75, 13.5)},
    )


def test_metrics_over_rolling_12_months(built: Built) -> None:
    year = found(built, "RXA", "2024-07-01", grain="rolling_12_months")
    wanted = {code: (numerator, denominator) for code, numerator, denominator in RXA_ROLLING_12}
    assert_values({code: year[code] for code in wanted}, wanted)
    dn2 = found(built, "RXA", "2024-07-01", grain="rolling_12_months", team="RXA-DN2")
    wanted = {code: (numerator, denominator) for code, numerator, denominator in RXA_DN2_ROLLING_12}
    assert_values({code: dn2[code] for code in wanted}, wanted)
    # so the teams' averages add up to the provider's: DN1 3.3, DN2 0.8 x 10 / 12, TH1
    # (1.0 x 10 + 2.0 x 2) / 12
    teams = [
        found(built, "RXA", "2024-07-01", grain="rolling_12_months", team=team)
        for team in ("RXA-DN1", "RXA-DN2", "RXA-TH1")
    ]
    assert close([team["OP_AVERAGE_TEAM_WTE"][0] for team in teams], [3.3, 0.8 * 10 / 12, 14 / 12])
    # no 12 months before it were sent: no growth on them
    assert "OP_REFERRAL_GROWTH" not in year
    rows = built.values[built.values["grain"] == "rolling_12_months"]
    assert set(zip(rows["organisation_code"], rows["period_start"].astype(str),
                   rows["period_end"].astype(str), strict=True)) == {
        ("RXA", "2024-07-01", "2025-06-30")
    }  # fmt: skip


def test_workforce_stability_over_a_quarter_and_a_month(built: Built) -> None:
    stability = {
        (grain, service_line, team): found(built, "RXA", start, grain, service_line, team)[
            "OP_STABILITY_INDEX"
        ][:2]
        for grain, start in (("quarter", "2025-04-01"), ("month", "2025-06-01"))
        for service_line, team in (
            ("all", None), ("community_nursing", None), ("community_therapies", None),
            ("all", "RXA-DN1"), ("all", "RXA-TH1"),
        )
    }  # fmt: skip
    assert stability == {
        # on 1 April: DN1 20000001 20000002 20000003 20000005, DN2 20000004, TH1 20000007;
        # 20000003 left on 15 June
        ("quarter", "all", None): (5, 6),
        ("quarter", "community_nursing", None): (4, 5),
        ("quarter", "community_therapies", None): (1, 1),
        ("quarter", "all", "RXA-DN1"): (3, 4),
        ("quarter", "all", "RXA-TH1"): (1, 1),
        # on 1 June 20000006 (started 1 May) is in post too; 20000008 (16 June) is not counted
        ("month", "all", None): (6, 7),
        ("month", "community_nursing", None): (4, 5),
        ("month", "community_therapies", None): (2, 2),
        ("month", "all", "RXA-DN1"): (3, 4),
        ("month", "all", "RXA-TH1"): (2, 2),
    }


def test_referral_growth_is_on_the_period_before(built: Built) -> None:
    growth = {
        (grain, service_line): found(built, "RXA", start, grain, service_line)["OP_REFERRAL_GROWTH"]
        for grain, start in (("quarter", "2025-04-01"), ("month", "2025-06-01"))
        for service_line in ("all", "community_nursing", "community_therapies")
    }
    assert close(growth, {
        # April-June 3 + 3 + 5 = 11 against January-March 3 + 3 + 3 = 9
        ("quarter", "all"): (2, 9, 100 * 2 / 9),
        # nursing (DN1): 2 + 2 + 3 = 7 against 6; therapies (TH1): 1 + 1 + 2 = 4 against 3
        ("quarter", "community_nursing"): (1, 6, 100 / 6),
        ("quarter", "community_therapies"): (1, 3, 100 / 3),
        # June's 5 against May's 3
        ("month", "all"): (2, 3, 100 * 2 / 3),
        ("month", "community_nursing"): (1, 2, 50),
        ("month", "community_therapies"): (1, 1, 100),
    }), growth  # fmt: skip
    # RXA's first month sent (July 2024) has no month before it
    assert "OP_REFERRAL_GROWTH" not in found(built, "RXA", "2024-07-01")


def test_a_team_without_rows_in_a_sent_extract_counts_0(built: Built) -> None:
    dn2 = found(built, "RXA", "2025-06-01", team="RXA-DN2")
    assert dn2["OP_NEW_REFERRALS"] == (0, None, 0)
    assert dn2["OP_WAITING_LIST"] == (0, None, 0)
    assert dn2["OP_ACTIVE_CASELOAD"] == (0, None, 0)
    assert dn2["OP_GP_REFERRALS_PCT"] == (0, 0, None)  # 0 of 0: a row, with no rate
    assert dn2["OP_FOLLOW_UP_PCT"] == (2, 2, 100)  # no first contact: both attended follow-ups


def test_a_ratio_whose_denominator_extract_was_not_sent_has_no_row(built: Built) -> None:
    # RXB's February: contacts, shifts and referrals but no establishment: no contacts per WTE,
    # no vacancy rate, no stability ...; the rest as every month (January's 1 referral before)
    february = without(expected(rxb_month(28) | {"referrals_received_previous": 1}),
                       establishment=True)  # fmt: skip
    assert {"OP_CONTACTS_PER_WTE", "OP_VACANCY_RATE", "OP_STABILITY_INDEX"}.isdisjoint(february)
    assert_values(found(built, "RXB", "2025-02-01"), february)
    # a month sent whole has every metric; January and June have no month before them sent
    for month, days in (("2025-01-01", 31), ("2025-06-01", 30)):
        assert_values(
            found(built, "RXB", month), without(expected(rxb_month(days)), "OP_REFERRAL_GROWTH")
        )


def test_a_quarter_has_no_metric_of_an_extract_missing_a_month(built: Built) -> None:
    # RXB's January-March: no workforce metric (February's establishment was not sent) and no
    # growth (no October-December); the others over the three months
    quarter = without(expected(RXB_QUARTER), "OP_REFERRAL_GROWTH", establishment=True)
    assert_values(found(built, "RXB", "2025-01-01", grain="quarter"), quarter)


def test_a_quarter_needs_every_month_sent(built: Built) -> None:
    periods = built.values[built.values["grain"] != "month"]
    found = periods[["organisation_code", "grain", "period_start", "period_end", "source_file"]]
    assert sorted(found.drop_duplicates().astype(str).itertuples(index=False, name=None)) == [
        ("RXA", "quarter", "2024-07-01", "2024-09-30", "operational/RXA/2024-07..2024-09/"),
        ("RXA", "quarter", "2024-10-01", "2024-12-31", "operational/RXA/2024-10..2024-12/"),
        ("RXA", "quarter", "2025-01-01", "2025-03-31", "operational/RXA/2025-01..2025-03/"),
        ("RXA", "quarter", "2025-04-01", "2025-06-30", "operational/RXA/2025-04..2025-06/"),
        ("RXA", "rolling_12_months", "2024-07-01", "2025-06-30",
         "operational/RXA/2024-07..2025-06/"),
        ("RXB", "quarter", "2025-01-01", "2025-03-31", "operational/RXB/2025-01..2025-03/"),
        # no RXB April-June (no May) and no rolling 12 months (five months sent)
    ]  # fmt: skip


def test_quarters_are_benchmarked_against_the_quarter_before(built: Built) -> None:
    rows = built.benchmarks[
        (built.benchmarks["metric_code"] == "OP_CONTACTS_PER_SHIFT_DAY")
        & (built.benchmarks["service_line"] == "all")
        & (built.benchmarks["grain"] == "quarter")
        & (built.benchmarks["peer_group"] == "all")
    ]
    got = {
        (row.period_start.strftime("%Y-%m"), row.organisation_code): (
            row.value, row.peer_n, row.peer_median, row.peer_rank,
            None if pd.isna(row.previous_value) else row.previous_value,
        )
        for row in rows.itertuples()
    }  # fmt: skip
    assert close(got, {
        # RXA's standard quarters: 2 attended contacts on 3 shift days a month, 6 / 9; DN2
        # opened in September, so July-September's shift days are 2 + 2 + 3
        ("2024-07", "RXA"): (6 / 7, 1, 6 / 7, 1, None),
        ("2024-10", "RXA"): (6 / 9, 1, 6 / 9, 1, 6 / 7),
        # January-March: RXB's 2 on 2 a month joins it; RXB's first quarter has none before
        ("2025-01", "RXA"): (6 / 9, 2, (6 / 9 + 1) / 2, 2, 6 / 9),
        ("2025-01", "RXB"): (1, 2, (6 / 9 + 1) / 2, 1, None),
        # April-June: RXA alone (RXB sent no May), (2 + 2 + 15) / (3 + 3 + 10) against 6 / 9
        ("2025-04", "RXA"): (19 / 16, 1, 19 / 16, 1, 6 / 9),
    }), got  # fmt: skip
    # RXB's January-March has no contacts per WTE (February's establishment was not sent): RXA
    # (6 contacts over 4.6 x 3 WTE-months) is benchmarked alone
    per_wte = built.benchmarks[
        (built.benchmarks["metric_code"] == "OP_CONTACTS_PER_WTE")
        & (built.benchmarks["service_line"] == "all")
        & (built.benchmarks["grain"] == "quarter")
        & (built.benchmarks["period_start"] == pd.Timestamp("2025-01-01"))
        & (built.benchmarks["peer_group"] == "all")
    ]
    assert per_wte["organisation_code"].tolist() == ["RXA"]
    assert close(per_wte[["value", "peer_n"]].iloc[0].tolist(), [6 / 13.8, 1])
