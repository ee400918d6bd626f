{#- None of the named columns holds a null: one query over the model for all of them (a
    `not_null` test per column costs a dbt node, a query and a Dagster check each, about a
    tenth of a second apiece, and a model has up to ten such columns). Fails with a row per
    column that holds nulls: its name and how many rows. -#}
{% test not_null_columns(model, column_names) %}

with null_rows as (
    select
        {%- for column in column_names %}
        count(*) filter (where {{ column }} is null) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
)
{% for column in column_names -%}
select '{{ column }}' as column_name, {{ column }} as null_rows from null_rows where {{ column }} > 0
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}

{% endtest %}
