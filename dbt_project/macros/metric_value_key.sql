{#- The surrogate key of a metric value: metric, organisation, team, service line, grain and
    period. -#}
{% macro metric_value_key(relation) -%}
    md5(
        {{ relation }}.metric_code || '|' || {{ relation }}.organisation_code
        || '|' || coalesce({{ relation }}.team_code, '') || '|' || {{ relation }}.service_line
        || '|' || {{ relation }}.grain || '|' || cast({{ relation }}.period_start as varchar)
    )
{%- endmacro %}
