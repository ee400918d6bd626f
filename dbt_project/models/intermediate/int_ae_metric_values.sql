{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- The A&E metrics of the catalogue (collection nhse_ae), one row per provider, month and metric.
    The 4-hour measures count booked appointments, as NHS England's published performance does.
    Type 1 (type 2) metrics are for providers with a type 1 (type 2) department only; a zero
    denominator gives no row, so a provider without emergency admissions via A&E has no
    AE_12HR_DTA value. Emergency admissions (a count) are via A&E of every type plus the other
    emergency admissions NHS England counts beside them. -#}

with

attendances as (

    select * from {{ ref('stg_nhse__ae_attendances') }}
    where {{ in_partition_window('period_start') }}

),

totals as (

    select
        organisation_code,
        period_start,
        attendances_type1,
        attendances_type1 + booked_type1 as type1_attendances,
        attendances_type1 + booked_type1
            - over_4hrs_type1 - over_4hrs_booked_type1 as type1_within_4hrs,
        attendances_type1 + attendances_type2 + attendances_other
            + booked_type1 + booked_type2 + booked_other as all_attendances,
        attendances_type1 + attendances_type2 + attendances_other
            + booked_type1 + booked_type2 + booked_other
            - over_4hrs_type1 - over_4hrs_type2 - over_4hrs_other
            - over_4hrs_booked_type1 - over_4hrs_booked_type2 - over_4hrs_booked_other
            as all_within_4hrs,
        attendances_type2,
        attendances_type2 + booked_type2 as type2_attendances,
        attendances_type2 + booked_type2
            - over_4hrs_type2 - over_4hrs_booked_type2 as type2_within_4hrs,
        dta_over_12_hours,
        dta_4_to_12_hours + dta_over_12_hours as dta_over_4_hours,
        emergency_admissions_type1,
        emergency_admissions_type1 + emergency_admissions_type2
            + emergency_admissions_other as emergency_admissions,
        emergency_admissions_type1 + emergency_admissions_type2
            + emergency_admissions_other + other_emergency_admissions as all_emergency_admissions,
        source_file,
        source_sha256,
        submitted_at

    from attendances

),

{#- the historic series for the months no monthly file covers: its measures by department type,
    as the monthly columns they correspond to (it has no booked appointments, decision-to-admit
    waits or other emergency admissions, so those metrics start with the monthly files) -#}
history_by_organisation as (

    select
        organisation_code,
        period_start,
        sum(attendances) filter (where department_type = '1') as type1_attendances,
        sum(attendances) filter (where department_type = '2') as type2_attendances,
        sum(attendances) as all_attendances,
        sum(attendances - over_4hrs) filter (where department_type = '1') as type1_within_4hrs,
        sum(attendances - over_4hrs) filter (where department_type = '2') as type2_within_4hrs,
        sum(attendances - over_4hrs) as all_within_4hrs,
        sum(emergency_admissions) filter (where department_type = '1')
            as emergency_admissions_type1,
        any_value(source_file) as source_file,
        any_value(source_sha256) as source_sha256,
        max(submitted_at) as submitted_at

    from {{ ref('stg_nhse__ae_history') }}
    where {{ in_partition_window('period_start') }}
        and period_start not in (select distinct period_start from attendances)
    group by organisation_code, period_start

),

{#- metric code: (numerator, denominator (null for a count), which providers have a value) -#}
{%- set metrics = {
    'AE_4HR_ALL': ('all_within_4hrs', 'all_attendances', 'all_attendances > 0'),
    'AE_4HR_TYPE1': ('type1_within_4hrs', 'type1_attendances', 'type1_attendances > 0'),
    'AE_4HR_TYPE2': ('type2_within_4hrs', 'type2_attendances', 'type2_attendances > 0'),
    'AE_4HR_DTA': ('dta_over_4_hours', 'emergency_admissions', 'emergency_admissions > 0'),
    'AE_12HR_DTA': ('dta_over_12_hours', 'emergency_admissions', 'emergency_admissions > 0'),
    'AE_ADMISSION_CONVERSION': (
        'emergency_admissions_type1', 'type1_attendances', 'type1_attendances > 0'),
    'AE_EMERGENCY_ADMISSIONS': ('all_emergency_admissions', 'null', 'all_emergency_admissions > 0'),
    'AE_ADMISSIONS_VIA_AE': (
        'emergency_admissions', 'all_emergency_admissions', 'all_emergency_admissions > 0'),
} %}

{#- the historic series' metrics, from the same definitions -#}
{%- set history_metrics = {} %}
{%- for metric_code in ['AE_4HR_ALL', 'AE_4HR_TYPE1', 'AE_4HR_TYPE2', 'AE_ADMISSION_CONVERSION'] %}
{%- do history_metrics.update({metric_code: metrics[metric_code]}) %}
{%- endfor %}

metric_values as (

    {{ metric_values_from('totals', metrics) }}
    union all
    {{ metric_values_from('history_by_organisation', history_metrics) }}

)

{{ provider_metric_values('nhse_ae', 'metric_values', reported_under_successors=true) }}
