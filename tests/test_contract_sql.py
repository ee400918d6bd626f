"""The SQL generated from a pandera declaration judges cells as pandera itself does.

pandera's own pandas backend is the independent computation: for random cells (hypothesis), a
row the SQL finds broken is exactly a row pandera's lazy validation reports; and random bytes in a
return never crash the set-wise reader: the file is accepted or quarantined with a located error.
"""

from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from contracts.indicator_return import indicator_return_contract
from contracts.validation import column_rules, validate_files, with_typed_columns

SCHEMA = pa.DataFrameSchema(
    {
        "code": pa.Column(str, pa.Check.str_matches(r"^[A-Z0-9]{3,5}$")),
        "kind": pa.Column(str, pa.Check.isin(["a", "b"]), nullable=True),
        "count": pa.Column("int64", pa.Check.ge(0)),
        "share": pa.Column(float, [pa.Check.gt(0), pa.Check.le(100)], nullable=True),
        "name": pa.Column(str, pa.Check.str_length(min_value=2, max_value=6)),
    },
    coerce=True,
)
CELLS = {
    "code": st.sampled_from(["RXA", "rx", "RXAB12", "ZZ9", "", "R-1"]),
    "kind": st.sampled_from(["a", "b", "c", None]),
    # numbers that convert: pandera stops checking a column once a cell fails to convert, where
    # the SQL goes on and reports every broken cell (its coercion rules are tested elsewhere)
    "count": st.sampled_from(["0", "7", "-1", "12"]),
    "share": st.sampled_from(["0", "0.5", "100", "100.1", None, "50"]),
    "name": st.sampled_from(["x", "ok", "sixsix", "sevenXX", ""]),
}


def _pandera_broken_rows(frame: pd.DataFrame) -> set[int]:
    try:
        SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        return {int(i) for i in errors.failure_cases["index"].dropna()}
    return set()


def _sql_broken_rows(frame: pd.DataFrame) -> set[int]:
    rules = " or ".join(f"({rule.broken})" for rule in column_rules(SCHEMA))
    with duckdb.connect() as connection:
        connection.register("cells", frame.reset_index(names="_row"))
        found = connection.execute(
            f"select _row from (select {with_typed_columns(SCHEMA)} from cells) where {rules}"
        ).fetchall()
    return {row for (row,) in found}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=8))
def test_generated_sql_breaks_the_rows_pandera_breaks(rows):
    frame = pd.DataFrame(rows, columns=list(CELLS)).replace({"": None})
    assert _sql_broken_rows(frame) == _pandera_broken_rows(frame.astype(object))


HEADER = "organisation_code,period,metric_code,numerator,denominator\n"
GOOD = "ZBB,2024-06,CI_DNA_RATE,12,300\n"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(str.encode),
        st.sampled_from(
            [
                b"\xef\xbb\xbf" + (HEADER + GOOD).encode(),  # a BOM
                (HEADER + GOOD).encode("cp1252"),
                (HEADER + "ZBB,2024-06,CI_DNA_RATE,12,300 \xa3\n").encode("cp1252"),
                (HEADER + GOOD).replace(",", ";").encode(),  # another delimiter
                (HEADER + GOOD).replace("denominator", "denom").encode(),  # renamed column
                (HEADER + '"=HYPERLINK(""x"")",2024-06,CI_DNA_RATE,1,2\n').encode(),  # formula
                (HEADER + "ZBB,2024-06,CI_DNA_RATE," + "9" * 100_000 + ",300\n").encode(),
                (HEADER.replace(",denominator", "") + "ZBB,2024-06,CI_DNA_RATE,12\n").encode(),
            ]
        ),
    )
)
@example(content=b"\r\x00")  # found by hypothesis: a lone CR ended the header line
def test_any_bytes_are_accepted_or_quarantined_with_a_location(tmp_path: Path, content: bytes):
    contract = indicator_return_contract("community_indicators", ("2024-06",), False)
    path = tmp_path / "ZBB_20240705T0900.csv"
    path.write_bytes(content)
    good = tmp_path / "ZAF_20240705T0900.csv"
    good.write_text(HEADER + GOOD.replace("ZBB", "ZAF"))
    files = {path.name: path, good.name: good}
    with duckdb.connect() as connection:
        result = validate_files(
            connection, files, contract, submitters={path.name: "ZBB", good.name: "ZAF"}
        )
        kept = connection.execute("select distinct _file from validated").fetchall()
    assert good.name in result.accepted
    assert (good.name,) in kept  # a bad neighbour never costs a good file its rows
    for violation in result.violations[path.name]:
        assert violation.file == path.name and violation.rule
    if not result.violations[path.name]:
        assert result.rows[path.name] >= 1
