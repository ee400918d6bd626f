"""Contract of the English Indices of Deprivation 2019 (MHCLG) summarised by lower-tier local
authority (LTLA, 2019 codes): one row per English LTLA with the Index of Multiple Deprivation and
its seven domains (`imd2019_ltla19.csv`, a tidy extract of MHCLG's File 10 workbook; Open
Government Licence v3.0).

Per measure, as MHCLG defines the LTLA summaries: `score` is the population-weighted average of
the LTLA's LSOA scores (higher is more deprived), `proportion` the share of its LSOAs in the most
deprived 10% nationally, and `extent` the share of its population living in the most deprived
LSOAs. Income and employment scores are rates (0-1); health and crime scores are standardised
and may be negative. Wales has its own index, so Welsh LTLAs are not here.
"""

from __future__ import annotations

import pandera.pandas as pa

from contracts.validation import Contract, Limits

LTLA_CODE = r"^E0[6-9]\d{6}$"
DOMAINS = (
    "income",
    "employment",
    "education",
    "health",
    "crime",
    "housing_and_access",
    "environment",
)

_share = pa.Column(float, pa.Check.in_range(0, 1))
_score = pa.Column(float, pa.Check.in_range(0, 100))
_standardised = pa.Column(float)  # health and crime: z-scores, either side of 0
_scores = {
    "income": _share,
    "employment": _share,
    "education": _score,
    "health": _standardised,
    "crime": _standardised,
    "housing_and_access": _score,
    "environment": _score,
}

imd_contract = Contract(
    schema=pa.DataFrameSchema(
        {
            "ltla19_code": pa.Column(
                str, pa.Check.str_matches(LTLA_CODE, error="not an English LTLA code")
            ),
            "score": _score,
            "proportion": _share,
            "extent": _share,
            **{
                column: check
                for domain in DOMAINS
                for column, check in (
                    (f"{domain}_score", _scores[domain]),
                    (f"{domain}_proportion", _share),
                )
            },
        },
        unique=["ltla19_code"],
        strict=True,
        name="MHCLG English Indices of Deprivation 2019 by LTLA",
    ),
    limits=Limits(max_bytes=5 << 20, max_rows=10_000),
)
