"""Contract of the organisation register (`landing/reference/organisations.csv`): the network's
membership list with ODS code, name, organisation type and NHS region."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from contracts.indicator_return import ORGANISATION_CODE
from contracts.validation import read_csv_text, validate

ORGANISATION_TYPES = ("community_provider", "mental_health_trust", "acute_trust", "other")

organisation_register_schema = pa.DataFrameSchema(
    {
        "organisation_code": pa.Column(
            str,
            pa.Check.str_matches(ORGANISATION_CODE, error="not an ODS-style organisation code"),
            unique=True,
        ),
        "organisation_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "organisation_type": pa.Column(str, pa.Check.isin(ORGANISATION_TYPES)),
        "region_code": pa.Column(str, pa.Check.str_matches(r"^Y\d{2}$")),
        "region_name": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    strict=True,
    coerce=True,
    name="organisation register",
)


def read_organisation_register(path: Path) -> pd.DataFrame:
    frame = read_csv_text(path)
    return validate(
        frame.apply(lambda column: column.str.strip()), organisation_register_schema, path
    )
