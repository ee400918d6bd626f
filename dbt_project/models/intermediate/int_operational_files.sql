{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- Each provider's extract files per month, with their SHA-256 and arrival: the lineage of the
    operational values (int_operational_metric_values). Incremental by the run's window. -#}

with

files as (

    {%- for extract in ['epr_referrals', 'epr_contacts', 'eroster_shifts', 'esr_staff'] %}
    select distinct
        '{{ extract }}' as extract,
        organisation_code,
        period_start,
        source_file,
        source_sha256,
        submitted_at
    from {{ ref('stg_provider__' ~ extract) }}
    where {{ in_partition_window('period_start', label='period') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select * from files
