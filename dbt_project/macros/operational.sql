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
