{#- The rows of each organisation's latest return for each period in the run's window. The lake
    holds only the return that counts per organisation and period (the ingest records the
    superseded ones in lake/submissions/), so this selects the window and shapes the columns. -#}
{% macro latest_submitted_returns(returns, collection) %}

with

returns as (

    select * from {{ returns }}
    where {{ in_partition_window('period_start') }}

)

select
    '{{ collection }}' as collection,
    metric_code,
    organisation_code,
    cast(null as varchar) as team_code,
    service_line,
    period_start,
    numerator,
    denominator,
    source_file,
    source_sha256,
    submitted_at

from returns

{% endmacro %}
