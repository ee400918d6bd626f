{#- The rows of `relation` with each of `columns` (name: type) present, typed. A lake source read
    with allow_empty has no columns at all while its dataset has no file yet; a typed empty row set
    unioned by name gives the model its columns either way, so the mart builds before anything has
    been ingested. -#}
{% macro with_columns(relation, columns) -%}
    {{ return(adapter.dispatch('with_columns')(relation, columns)) }}
{%- endmacro %}

{% macro default__with_columns(relation, columns) -%}
    select {{ columns.keys() | join(', ') }} from {{ relation }}
{%- endmacro %}

{% macro duckdb__with_columns(relation, columns) -%}
    select {{ columns.keys() | join(', ') }}
    from (
        select
            {%- for name, type in columns.items() %}
            cast(null as {{ type }}) as {{ name }}{{ ',' if not loop.last }}
            {%- endfor %}
        where false
        union all by name
        select * from {{ relation }}
    ) as typed
{%- endmacro %}
