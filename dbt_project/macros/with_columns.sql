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

{#- A lake source with the columns its sources YAML declares (name and data_type, the one
    declaration of the lake's shape), so a dataset with no file yet (a deployment that takes no
    operational extracts, a fresh home) reads as no rows instead of failing the build. A dbt unit
    test has no graph of sources: its fixture (all columns, `format: sql`) is read as it is. -#}
{% macro lake_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set columns = {} -%}
    {%- if execute and graph.sources is defined -%}
        {%- for node in graph.sources.values()
            if node.source_name == source_name and node.name == table_name -%}
            {%- for name, column in node.columns.items() if column.data_type -%}
                {%- do columns.update({name: column.data_type}) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if not columns -%}
            {{ exceptions.raise_compiler_error(
                "source " ~ source_name ~ "." ~ table_name ~ " declares no column data types") }}
        {%- endif -%}
    {%- endif -%}
    {{ with_columns(relation, columns) if columns else 'select * from ' ~ relation }}
{%- endmacro %}
