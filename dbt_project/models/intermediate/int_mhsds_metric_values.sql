{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- The catalogue's MHSDS metrics (collection nhse_mhsds), one row per provider, month and metric:
    the share of referral-spells with a full clock stop that stopped within 4 weeks, over the
    rolling quarter ending in the month, for adults' community mental health (MRS01a of MRS01)
    and children and young people's services (MRS08a of MRS08). Provider counts are published
    rounded to 5, small ones suppressed: no row when either count is suppressed, or when no
    clock stopped. A month's window reads the staging rows of periods ending in it, which the
    release of that month carries. -#}

with

measures as (

    select * from {{ ref('stg_nhse__mhsds_waits') }}
    where breakdown = 'Provider' and {{ in_partition_window('period_start') }}

),

{#- each provider's measures for one rolling quarter side by side (the latest release's) -#}
by_provider as (

    select
        primary_level as organisation_code,
        period_start,
        max(measure_value) filter (where measure_id = 'MRS01a') as mrs01a,
        max(measure_value) filter (where measure_id = 'MRS01') as mrs01,
        max(measure_value) filter (where measure_id = 'MRS08a') as mrs08a,
        max(measure_value) filter (where measure_id = 'MRS08') as mrs08,
        bool_or(measure_id = 'MRS01a') and bool_or(measure_id = 'MRS01') as has_cmh,
        bool_or(measure_id = 'MRS08a') and bool_or(measure_id = 'MRS08') as has_cyp,
        any_value(source_file) as source_file,
        any_value(source_sha256) as source_sha256,
        max(submitted_at) as submitted_at

    from measures
    group by primary_level, secondary_level, reporting_period_start, reporting_period_end,
        period_start

),

{#- metric code: (numerator, denominator, which rows have a value: both measures published,
    suppressed or not, so that a merged trust with a suppressed part has no value, not a part) -#}
{%- set metrics = {
    'MH_4WW_CMH': ('mrs01a', 'mrs01', 'has_cmh'),
    'MH_4WW_CYP': ('mrs08a', 'mrs08', 'has_cyp'),
} %}

metric_values as (

    {{ metric_values_from('by_provider', metrics) }}

)

{{ provider_metric_values('nhse_mhsds', 'metric_values', reported_under_successors=true) }}
where numerator is not null and denominator > 0
