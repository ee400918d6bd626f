{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- The catalogue's RTT metrics (collection nhse_rtt), one row per provider, treatment function,
    month and metric, from the incomplete pathways (Part_2: the waiting list at month end) summed
    over commissioners. The provider's own row (service line 'all') is treatment function C_999,
    NHS England's total over the functions; each function is its own service line, tfc_<code>
    (tfc_130 ophthalmology, tfc_x02 other medical services). The waiting list is a count (no
    denominator); the others are shares of it. No row where the waiting list is empty. -#}

with

pathways as (

    select * from {{ ref('stg_nhse__rtt_pathways') }}
    where rtt_part = 'Part_2' and {{ in_partition_window('period_start') }}

),

waiting_lists as (

    select
        organisation_code,
        case
            when treatment_function_code = 'C_999' then 'all'
            else 'tfc_' || lower(replace(treatment_function_code, 'C_', ''))
        end as service_line,
        period_start,
        sum(total_all) as waiting,
        sum(within_18_weeks) as within_18_weeks,
        sum(over_52_weeks) as over_52_weeks,
        sum(over_65_weeks) as over_65_weeks,
        -- a month is one file
        any_value(source_file) as source_file,
        any_value(source_sha256) as source_sha256,
        max(submitted_at) as submitted_at

    from pathways
    group by all

),

{#- metric code: (numerator, denominator (null for a count), which rows have a value) -#}
{%- set metrics = {
    'RTT_WAITING_LIST': ('waiting', 'null', 'waiting > 0'),
    'RTT_18WK': ('within_18_weeks', 'waiting', 'waiting > 0'),
    'RTT_52WK': ('over_52_weeks', 'waiting', 'waiting > 0'),
    'RTT_65WK': ('over_65_weeks', 'waiting', 'waiting > 0'),
} %}

metric_values as (

    {{ metric_values_from('waiting_lists', metrics, ['organisation_code', 'service_line', 'period_start']) }}

)

{{ provider_metric_values('nhse_rtt', 'metric_values', 'service_line', reported_under_successors=true) }}
