{#- `dbt run-operation print_duckdb_setting --args '{name: memory_limit}'`: what the build's
    DuckDB connection runs with (the profile's config_options, from the refresh's vars). -#}
{% macro print_duckdb_setting(name) %}
    {% set value = run_query("select current_setting('" ~ name ~ "')").columns[0].values()[0] %}
    {{ print(name ~ "=" ~ value) }}
{% endmacro %}
