{#- The columns every int_*_metric_values model hands fct_metric_value, selected from `relation`
    (metric_code, organisation_code, period_start, numerator, denominator and lineage): the
    collection, no team (teams come only from operational extracts) and the service line, an
    expression ('all' by default, or a column). -#}
{% macro provider_metric_values(collection, relation, service_line="'all'") -%}
select
    '{{ collection }}' as collection,
    metric_code,
    organisation_code,
    cast(null as varchar) as team_code,
    {{ service_line }} as service_line,
    period_start,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    source_file,
    source_sha256,
    submitted_at

from {{ relation }}
{%- endmacro %}
