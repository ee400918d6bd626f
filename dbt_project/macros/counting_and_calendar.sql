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
