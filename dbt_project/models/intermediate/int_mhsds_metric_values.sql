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

{#- metric code: (numerator measure, denominator measure) -#}
{%- set metrics = {
    'MH_4WW_CMH': ('MRS01a', 'MRS01'),
    'MH_4WW_CYP': ('MRS08a', 'MRS08'),
} %}

metric_values as (

    {% for metric_code, definition in metrics.items() %}
    {%- set numerator, denominator = definition %}
    select
        '{{ metric_code }}' as metric_code,
        numerators.primary_level as organisation_code,
        numerators.period_start,
        numerators.measure_value as numerator,
        denominators.measure_value as denominator,
        denominators.source_file,
        denominators.source_sha256,
        denominators.submitted_at
    from measures as numerators
    inner join measures as denominators
        on numerators.primary_level = denominators.primary_level
        and numerators.secondary_level = denominators.secondary_level
        and numerators.reporting_period_start = denominators.reporting_period_start
        and numerators.reporting_period_end = denominators.reporting_period_end
        and denominators.measure_id = '{{ denominator }}'
    where numerators.measure_id = '{{ numerator }}'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

)

{{ provider_metric_values('nhse_mhsds', 'metric_values', reported_under_successors=true) }}
where numerator is not null and denominator > 0
