{#- The partition window a run covers: rows with min_date <= column < max_date. -#}
{% macro in_partition_window(column) -%}
    {{ column }} >= cast('{{ var("min_date") }}' as date)
    and {{ column }} < cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{#- Pre-hook of a partitioned incremental model: clear the window before inserting it again, so a
    re-run of the same partitions replaces them exactly, and a period that lost its rows is emptied.
    (On Spark the same model would use insert_overwrite by period instead.) -#}
{% macro clear_partition_window(column='period_start') -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_partition_window(column) }}
    {% endif %}
{%- endmacro %}
