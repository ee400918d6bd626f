{#- The columns every int_*_metric_values model hands fct_metric_value, selected from `relation`
    (metric_code, organisation_code, period_start, numerator, denominator and lineage): the
    collection, no team (teams come only from operational extracts) and the service line, an
    expression ('all' by default, or a column).

    National data (`reported_under_successors`) is reported under the organisation that carries
    it now: a code NHS ODS says was succeeded (int_organisation_successors) is replaced by its
    successor, and the rows that then share a metric, successor, service line and month are
    summed, numerators and denominators apart (fct_metric_value recomputes the value from them),
    so before a merger the successor's series is its predecessors' combined. A sum with a part
    missing is no sum: where any part's numerator (denominator) is null, so is the total's.
    reported_organisation_codes keeps the codes as published (comma-separated), for lineage. A
    return a member submits is its own, under its own code. -#}
{% macro provider_metric_values(collection, relation, service_line="'all'", reported_under_successors=false) -%}
{%- if reported_under_successors %}
select * from (
    select
        '{{ collection }}' as collection,
        published.metric_code,
        coalesce(successors.successor_code, published.organisation_code) as organisation_code,
        string_agg(distinct published.organisation_code, ',' order by published.organisation_code)
            as reported_organisation_codes,
        cast(null as varchar) as team_code,
        {{ service_line }} as service_line,
        published.period_start,
        case when count(*) = count(published.numerator)
            then sum(cast(published.numerator as double)) end as numerator,
        case when count(*) = count(published.denominator)
            then sum(cast(published.denominator as double)) end as denominator,
        min(published.source_file) as source_file,
        arg_min(published.source_sha256, published.source_file) as source_sha256,
        max(published.submitted_at) as submitted_at

    from {{ relation }} as published
    left join {{ ref('int_organisation_successors') }} as successors
        on published.organisation_code = successors.predecessor_code
    group by all
) as provider_values
{%- else %}
select
    '{{ collection }}' as collection,
    metric_code,
    organisation_code,
    organisation_code as reported_organisation_codes,
    cast(null as varchar) as team_code,
    {{ service_line }} as service_line,
    period_start,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    source_file,
    source_sha256,
    submitted_at

from {{ relation }}
{%- endif %}
{%- endmacro %}
