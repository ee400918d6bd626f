{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- Incremental by window: a refresh passes the months whose lake partitions changed and this
    model replaces exactly those months (a full build, `peerbench refresh --full`, rebuilds all). -#}

with

community as (

    select * from {{ ref('int_community_metric_values') }}
    where {{ incremental_window() }}

),

mhlda as (

    select * from {{ ref('int_mhlda_metric_values') }}
    where {{ incremental_window() }}

),

ae as (

    select * from {{ ref('int_ae_metric_values') }}
    where {{ incremental_window() }}

),

rtt as (

    select * from {{ ref('int_rtt_metric_values') }}
    where {{ incremental_window() }}

),

mhsds as (

    select * from {{ ref('int_mhsds_metric_values') }}
    where {{ incremental_window() }}

),

cwt as (

    select * from {{ ref('int_cwt_metric_values') }}
    where {{ incremental_window() }}

),

operational as (

    select * from {{ ref('int_operational_metric_values') }}
    where {{ incremental_window() }}

),

metrics as (

    select * from {{ ref('metric_catalogue') }}

),

windows as (

    select * from {{ ref('stg_reference__collection_windows') }}

),

unioned as (

    select * from community
    union all
    select * from mhlda
    union all
    select * from ae
    union all
    select * from rtt
    union all
    select * from mhsds
    union all
    select * from cwt
    union all
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
        'month' as grain,
        unioned.period_start,
        cast(unioned.numerator as double) as numerator,
        cast(unioned.denominator as double) as denominator,
        cast(
            case
                when metrics.aggregation = 'ratio'
                    then unioned.numerator / nullif(unioned.denominator, 0) * metrics.multiplier
                else unioned.numerator
            end as double
        ) as value,
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
        and unioned.period_start = windows.period_start

)

select * from valued
