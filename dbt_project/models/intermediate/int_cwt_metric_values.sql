{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- The catalogue's Cancer Waiting Times metrics (collection nhse_cwt), one row per provider,
    month and metric: the share of people told their diagnosis outcome within 28 days of an
    urgent referral (CWT_28D_FDS), and of people treated within 31 days of the decision to treat
    (CWT_31D) or 62 days of the referral (CWT_62D), each over every route or stage (the sheet's
    first part: ALL ROUTES, ALL STAGES). Counts can be halves; no row where nobody was counted. -#}

with

waits as (

    select * from {{ ref('stg_nhse__cancer_waits') }}
    where route_or_stage in ('ALL ROUTES', 'ALL STAGES') and {{ in_partition_window('period_start') }}

),

{#- metric code: (numerator, denominator, which rows have a value: the standard it reads) -#}
{%- set metrics = {
    'CWT_28D_FDS': ('within_standard', 'total', "standard = '28-day' and total > 0"),
    'CWT_31D': ('within_standard', 'total', "standard = '31-day' and total > 0"),
    'CWT_62D': ('within_standard', 'total', "standard = '62-day' and total > 0"),
} %}

metric_values as (

    {{ metric_values_from('waits', metrics) }}

)

{{ provider_metric_values('nhse_cwt', 'metric_values', reported_under_successors=true) }}
