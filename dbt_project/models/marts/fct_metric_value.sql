{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ clear_partition_window(column='period_end', months_after=12) }}",
    )
}}

{#- Incremental by window: a refresh passes the months whose lake partitions changed and this
    model replaces those months and the 12 after them (a full build, `peerbench refresh --full`,
    rebuilds all). quality_flag (macros/suspicious_values.sql) judges each value against the
    whole history of the returns (submitted_history: the intermediate models in full, not the
    window), the organisation's own 12 months before it and its peers' the same month, so a
    changed month moves the flags of the 12 months after it. A new month has none after it yet:
    only a late return or a revision costs more than its month. Operational values come per month,
    NHS quarter and rolling 12 months (grain); a window is by the month a period ends in
    (period_end), so a changed month also rebuilds the quarter and the rolling 12 months that
    hold it. -#}

with

community as (

    select * from {{ ref('int_community_metric_values') }}
    where {{ incremental_window(months_after=12) }}

),

mhlda as (

    select * from {{ ref('int_mhlda_metric_values') }}
    where {{ incremental_window(months_after=12) }}

),

ae as (

    select * from {{ ref('int_ae_metric_values') }}
    where {{ incremental_window(months_after=12) }}

),

rtt as (

    select * from {{ ref('int_rtt_metric_values') }}
    where {{ incremental_window(months_after=12) }}

),

mhsds as (

    select * from {{ ref('int_mhsds_metric_values') }}
    where {{ incremental_window(months_after=12) }}

),

cwt as (

    select * from {{ ref('int_cwt_metric_values') }}
    where {{ incremental_window(months_after=12) }}

),

operational as (

    select * from {{ ref('int_operational_metric_values') }}
    where {{ incremental_window(column='period_end', months_after=12) }}

),

submitted_history as (

    select * from {{ ref('int_community_metric_values') }}
    union all
    select * from {{ ref('int_mhlda_metric_values') }}

),

metrics as (

    select * from {{ ref('metric_catalogue') }}

),

windows as (

    select * from {{ ref('stg_reference__collection_windows') }}

),

{#- every collection but the operational one reports months -#}
unioned as (

    {%- for monthly in ['community', 'mhlda', 'ae', 'rtt', 'mhsds', 'cwt'] %}
    select {{ monthly }}.*, 'month' as grain, {{ month_end(monthly ~ '.period_start') }} as period_end
    from {{ monthly }}
    union all
    {%- endfor %}
    select * from operational

),

valued as (

    select
        {{ metric_value_key('unioned') }} as metric_value_id,
        unioned.collection,
        unioned.metric_code,
        unioned.organisation_code,
        unioned.reported_organisation_codes,
        unioned.team_code,
        unioned.service_line,
        unioned.grain,
        unioned.period_start,
        cast(unioned.period_end as date) as period_end,
        cast(unioned.numerator as double) as numerator,
        cast(unioned.denominator as double) as denominator,
        {{ metric_value('unioned', 'metrics') }} as value,
        unioned.source_file,
        unioned.source_sha256,
        cast(unioned.submitted_at as timestamp) as submitted_at,
        windows.window_closes_on,
        cast(unioned.submitted_at as date) > windows.window_closes_on as submitted_late,
        {{ refreshed_at() }} as refreshed_at

    from unioned
    inner join metrics on unioned.metric_code = metrics.metric_code
    left join windows
        on unioned.collection = windows.collection
        and {{ month_start('unioned.period_end') }} = windows.period_start

),

history as (

    select
        submitted_history.organisation_code,
        submitted_history.metric_code,
        submitted_history.service_line,
        submitted_history.period_start,
        {{ metric_value('submitted_history', 'metrics') }} as value

    from submitted_history
    inner join metrics on submitted_history.metric_code = metrics.metric_code

),

flagged as (

    {{ suspicious_values('valued', 'history') }}

)

select * from flagged
