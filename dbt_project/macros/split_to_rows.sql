{#- One row per item of a delimited text column (`a;b;c`), items trimmed: to be used in a select
    list. DuckDB unnests a list; Spark explodes an array. -#}
{% macro split_to_rows(column, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows')(column, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(column, delimiter) -%}
    trim(explode(split({{ column }}, '{{ delimiter }}')))
{%- endmacro %}

{% macro duckdb__split_to_rows(column, delimiter) -%}
    trim(unnest(string_split({{ column }}, '{{ delimiter }}')))
{%- endmacro %}
