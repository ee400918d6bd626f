{#- One row per metric and row of `relation`: `metrics` maps each metric code to its numerator,
    its denominator ('null' for a count) and the condition under which a row has a value, all
    SQL expressions over `relation`'s columns; `keys` are the columns that say whose value and
    when (organisation_code, period_start, a service line). With the lineage columns, it is what
    provider_metric_values shapes for fct_metric_value. -#}
{% macro metric_values_from(relation, metrics, keys=['organisation_code', 'period_start']) -%}
    {%- for metric_code, definition in metrics.items() %}
    {%- set numerator, denominator, has_value = definition %}
    select
        '{{ metric_code }}' as metric_code,
        {{ keys | join(', ') }},
        {{ numerator }} as numerator,
        {{ denominator }} as denominator,
        source_file,
        source_sha256,
        submitted_at
    from {{ relation }}
    where coalesce({{ has_value }}, false)
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}
