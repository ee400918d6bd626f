{#- The partition window a run covers: rows with min_date <= column < max_date, where max_date may
    be moved `months_after` later (a model whose rows depend on the month before, such as the
    change from the previous month, must also rebuild the month after the window). `label` names
    the lake's month label ('YYYY-MM', the column the Parquet files hold) of a source read
    straight from the lake: the window is also put on it, which the Parquet reader can answer
    from each file's statistics and so skip the other months' files (it cannot see through the
    date computed from the label: without it, a month's build reads every month's rows). -#}
{% macro in_partition_window(column, months_after=0, label=none) -%}
    {{ column }} >= cast('{{ var("min_date") }}' as date)
    and {{ column }} < {{ partition_window_end(months_after) }}
    {%- if label and months_after -%}
        {{ exceptions.raise_compiler_error("in_partition_window: a label window has no months_after") }}
    {%- elif label %}
    {#- the months the date window touches: a month starting before max_date is in it -#}
    {%- set max_date = var('max_date') | string -%}
    and {{ label }} >= '{{ (var("min_date") | string)[:7] }}'
    and {{ label }} {{ '<' if max_date[8:10] == '01' else '<=' }} '{{ max_date[:7] }}'
    {%- endif %}
{%- endmacro %}

{% macro partition_window_end(months_after=0) -%}
    {%- if months_after -%}
        cast({{ dbt.dateadd('month', months_after, "cast('" ~ var('max_date') ~ "' as date)") }} as date)
    {%- else -%}
        cast('{{ var("max_date") }}' as date)
    {%- endif -%}
{%- endmacro %}

{#- Pre-hook of a partitioned incremental model: clear the window before inserting it again, so a
    re-run of the same partitions replaces them exactly, and a period that lost its rows is emptied.
    (On Spark the same model would use insert_overwrite by period instead.) -#}
{% macro clear_partition_window(column='period_start', months_after=0) -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ in_partition_window(column, months_after) }}
    {% endif %}
{%- endmacro %}

{#- The window filter of an incremental model's input: everything on a full build, the window on
    an incremental one. -#}
{% macro incremental_window(column='period_start', months_before=0, months_after=0) -%}
    {%- if is_incremental() -%}
        {{ column }} >= cast({{ dbt.dateadd('month', -months_before, "cast('" ~ var('min_date') ~ "' as date)") }} as date)
        and {{ column }} < {{ partition_window_end(months_after) }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- When the dbt invocation writing a row started: one value per build, so the rows a refresh
    rebuilt are told apart from those it left in place. -#}
{% macro refreshed_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- The benchmark rows a refresh of [min_date, max_date) rebuilds: a month's and the month
    after's (its change from the previous month), and a longer period's (an NHS quarter, a
    rolling 12 months) ending in the window or in the 24 months after (those holding a changed
    month end up to 11 months after it, and the next year's compare with them). By the month
    a period ends in (period_end). -#}
{% macro benchmark_window() -%}
    (
        (grain = 'month' and {{ in_partition_window('period_end', months_after=1) }})
        or (grain <> 'month' and {{ in_partition_window('period_end', months_after=24) }})
    )
{%- endmacro %}

{% macro clear_benchmark_window() -%}
    {% if is_incremental() %}
        delete from {{ this }} where {{ benchmark_window() }}
    {% endif %}
{%- endmacro %}
