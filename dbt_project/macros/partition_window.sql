{#- The window [start, end) of periods a run rebuilds, as the refresh passes it: in the
    environment rather than as --vars, because dbt parses the whole project again whenever --vars
    differ from the last build's (4 s), and only the files that read a changed environment
    variable. Unset, the window holds every period, so a plain `dbt build` builds everything. -#}
{% macro window_start() -%}
    {{ return(env_var('PEERBENCH_WINDOW_START', '1900-01-01')) }}
{%- endmacro %}

{% macro window_end() -%}
    {{ return(env_var('PEERBENCH_WINDOW_END', '2999-12-31')) }}
{%- endmacro %}

{#- The partition window a run covers: rows with start <= column < end, where the end may
    be moved `months_after` later (a model whose rows depend on the month before, such as the
    change from the previous month, must also rebuild the month after the window). `label` names
    the lake's month label ('YYYY-MM', the column the Parquet files hold) of a source read
    straight from the lake: the window is also put on it, which the Parquet reader can answer
    from each file's statistics and so skip the other months' files (it cannot see through the
    date computed from the label: without it, a month's build reads every month's rows). -#}
{% macro in_partition_window(column, months_after=0, label=none) -%}
    {{ column }} >= cast('{{ window_start() }}' as date)
    and {{ column }} < {{ partition_window_end(months_after) }}
    {%- if label and months_after -%}
        {{ exceptions.raise_compiler_error("in_partition_window: a label window has no months_after") }}
    {%- elif label %}
    {#- the months the date window touches: a month starting before the end is in it -#}
    {%- set end_date = window_end() -%}
    and {{ label }} >= '{{ window_start()[:7] }}'
    and {{ label }} {{ '<' if end_date[8:10] == '01' else '<=' }} '{{ end_date[:7] }}'
    {%- endif %}
{%- endmacro %}

{% macro partition_window_end(months_after=0) -%}
    {%- if months_after -%}
        cast({{ dbt.dateadd('month', months_after, "cast('" ~ window_end() ~ "' as date)") }} as date)
    {%- else -%}
        cast('{{ window_end() }}' as date)
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
        {{ column }} >= cast({{ dbt.dateadd('month', -months_before, "cast('" ~ window_start() ~ "' as date)") }} as date)
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

{#- The benchmark rows a refresh of [start, end) rebuilds: a month's and the month
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

{#- The rows a test checks. The lake's staging views hold every period; their tests check the
    periods a run rebuilds (the others were checked when they were built). An incremental model's
    tests likewise check the rows this build wrote: those it stamped refreshed_at (the marts) or
    its partition window (what its pre-hook cleared and refilled); the rows it left in place were
    checked by the build that wrote them, and a change of reference data rebuilds (and so tests)
    everything. A table is tested whole. The `where` config (dbt_project.yml) names these as
    `__partition_window__` and `__rebuilt__`, which this replaces: a project config cannot call a
    macro (dbt's documented way to template a test's `where`). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__partition_window__' in where -%}
        {%- set where = where | replace('__partition_window__', window_rows(relation)) -%}
    {%- endif -%}
    {%- if where and '__rebuilt__' in where -%}
        {%- set where = where | replace('__rebuilt__', rebuilt_rows(relation)) -%}
    {%- endif -%}
    {%- if where and where != 'true' -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}

{#- The model a test's relation is, from the project's graph (none for a seed or a source). -#}
{% macro model_of(relation) -%}
    {{- return(graph.nodes.values()
        | selectattr('resource_type', 'equalto', 'model')
        | selectattr('schema', 'equalto', relation.schema)
        | selectattr('alias', 'equalto', relation.identifier)
        | first) -}}
{%- endmacro %}

{#- A staging view's periods in the window; on its lake month label too where it has one, so
    the Parquet reader skips the other months' files (in_partition_window). -#}
{% macro window_rows(relation) -%}
    {%- set node = model_of(relation) -%}
    {%- set label = 'period' if node is defined and 'period' in node.columns else none -%}
    {{- return(in_partition_window('period_start', label=label)) -}}
{%- endmacro %}

{% macro rebuilt_rows(relation) -%}
    {%- set node = model_of(relation) -%}
    {%- if node is not defined or node.config.materialized != 'incremental' -%}
        {{- return('true') -}}
    {%- elif 'refreshed_at' in node.columns -%}
        {{- return('refreshed_at = ' ~ refreshed_at()) -}}
    {%- else -%}
        {{- return(in_partition_window('period_start')) -}}
    {%- endif -%}
{%- endmacro %}
