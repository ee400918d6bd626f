{#- The rows of the latest return each organisation submitted for each period in the run's window.
    Earlier returns stay in the lake and staging; only the newest counts in the mart. -#}
{% macro latest_submitted_returns(returns, collection) %}

with

returns as (

    select * from {{ returns }}
    where {{ in_partition_window('period_start') }}

),

ranked as (

    select
        *,
        dense_rank() over (
            partition by organisation_code, period_start
            order by submitted_at desc, source_file desc
        ) as submission_rank

    from returns

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

from ranked
where submission_rank = 1

{% endmacro %}
