{#- A metric's value from its numerator and denominator, by the catalogue: a ratio metric's is
    numerator / denominator x multiplier (none when the denominator is zero), any other's the
    numerator. `values` and `metrics` name relations (the catalogue's aggregation and
    multiplier). Plain Jinja, as `peerbench validate` renders it too (orchestration/validate.py),
    so a return's values are worked out before ingest exactly as the mart will. -#}
{% macro metric_value(values, metrics) -%}
    cast(
        case
            when {{ metrics }}.aggregation = 'ratio'
                then {{ values }}.numerator / nullif({{ values }}.denominator, 0) * {{ metrics }}.multiplier
            else {{ values }}.numerator
        end as double
    )
{%- endmacro %}
