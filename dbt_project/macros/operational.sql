{#- An Agenda for Change band's group, the slices the operational metrics are broken down by:
    bands 2-4 (support workers, assistants, associates), 5 (newly registered), 6 and 7 and above
    (senior clinicians and managers); null for staff outside Agenda for Change. -#}
{% macro band_group(band) -%}
    case
        when {{ band }} in ('2', '3', '4') then 'band_2_4'
        when {{ band }} = '5' then 'band_5'
        when {{ band }} = '6' then 'band_6'
        when {{ band }} in ('7', '8a', '8b', '8c', '8d', '9') then 'band_7_plus'
    end
{%- endmacro %}

{#- 1 where `condition` holds, else 0: what a count of rows meeting it sums. -#}
{% macro count_if(condition) -%}
    sum(case when {{ condition }} then 1 else 0 end)
{%- endmacro %}

{#- `value` summed over the rows meeting `condition` (0 where none does). -#}
{% macro sum_if(condition, value) -%}
    sum(case when {{ condition }} then {{ value }} else 0 end)
{%- endmacro %}

{#- The days of the month starting `month_start` (a date). -#}
{% macro days_in_month(month_start) -%}
    {{ dbt.datediff(month_start, dbt.dateadd('month', 1, month_start), 'day') }}
{%- endmacro %}

{#- The first day of the month `day` is in. -#}
{% macro month_start(day) -%}
    cast({{ dbt.date_trunc('month', day) }} as date)
{%- endmacro %}

{#- The last day of the month starting `month_start`. -#}
{% macro month_end(month_start) -%}
    cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, month_start)) }} as date)
{%- endmacro %}

{#- The rows of `relation` turned long: one row per key and column of `columns` that has a
    value, the column's name in `name` and its value in `value`. DuckDB has UNPIVOT; elsewhere a
    union of one select per column. -#}
{% macro unpivot_columns(relation, keys, columns, name, value) -%}
    {{ return(adapter.dispatch('unpivot_columns')(relation, keys, columns, name, value)) }}
{%- endmacro %}

{% macro default__unpivot_columns(relation, keys, columns, name, value) -%}
    {%- for column in columns %}
    select {{ keys | join(', ') }}, '{{ column }}' as {{ name }}, {{ column }} as {{ value }}
    from {{ relation }}
    where {{ column }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro duckdb__unpivot_columns(relation, keys, columns, name, value) -%}
    {%- if columns %}
    select {{ keys | join(', ') }}, {{ name }}, {{ value }}
    from (unpivot {{ relation }} on {{ columns | join(', ') }} into name {{ name }} value {{ value }})
    {%- else %}
    select {{ keys | join(', ') }}, cast(null as varchar) as {{ name }},
        cast(null as double) as {{ value }}
    from {{ relation }}
    where false
    {%- endif %}
{%- endmacro %}
