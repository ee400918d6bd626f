{#- Providers named in national data (A&E monthly and history, RTT, MHSDS, cancer waits), one row
    per code as published: its name as of its latest month, the NHS region of its latest A&E
    parent organisation, and the evidence int_organisation_types reads its type from. -#}

with

attendances as (

    select * from {{ ref('stg_nhse__ae_attendances') }}

),

history as (

    select * from {{ ref('stg_nhse__ae_history') }}

),

pathways as (

    select * from {{ ref('stg_nhse__rtt_pathways') }}

),

mental_health as (

    select * from {{ ref('stg_nhse__mhsds_waits') }}
    where breakdown = 'Provider'

),

cancer as (

    select * from {{ ref('stg_nhse__cancer_waits') }}

),

regions as (

    select * from {{ ref('nhs_regions') }}

),

{#- one row per code, source and month: attendances by department type (A&E only) -#}
named as (

    select
        organisation_code,
        organisation_name,
        parent_org,
        'nhse_ae' as source,
        period_start,
        attendances_type1 + booked_type1 as type1_attendances,
        attendances_type2 + booked_type2 as type2_attendances,
        attendances_other + booked_other as other_attendances

    from attendances

    union all

    select
        organisation_code,
        null,
        null,
        'nhse_ae',
        period_start,
        sum(attendances) filter (where department_type = '1'),
        sum(attendances) filter (where department_type = '2'),
        sum(attendances) filter (where department_type = 'other')

    from history
    group by organisation_code, period_start

    union all

    select distinct organisation_code, organisation_name, null, 'nhse_rtt', period_start, 0, 0, 0
    from pathways

    union all

    select distinct
        primary_level, primary_level_description, null, 'nhse_mhsds', period_start, 0, 0, 0
    from mental_health

    union all

    select distinct organisation_code, organisation_name, null, 'nhse_cwt', period_start, 0, 0, 0
    from cancer

),

latest_ae as (

    select organisation_code, max(period_start) as last_ae_period_start
    from named
    where source = 'nhse_ae'
    group by organisation_code

),

{#- attendances by department type over the code's latest twelve months in A&E data: what it
    runs now, not what it ran years ago (a community trust's old type 2 unit) -#}
recent as (

    select
        named.*,
        named.source = 'nhse_ae'
            and named.period_start > latest_ae.last_ae_period_start - interval 12 month
            as recent_ae

    from named
    left join latest_ae on named.organisation_code = latest_ae.organisation_code

),

evidence as (

    select
        organisation_code,
        arg_max(organisation_name, period_start) filter (where organisation_name is not null)
            as organisation_name,
        arg_max(parent_org, period_start) filter (where parent_org is not null) as parent_org,
        max(period_start) as last_period_start,
        coalesce(sum(type1_attendances) filter (where recent_ae), 0) as type1_attendances,
        coalesce(sum(type2_attendances) filter (where recent_ae), 0) as type2_attendances,
        coalesce(sum(other_attendances) filter (where recent_ae), 0) as other_attendances,
        bool_or(source = 'nhse_rtt') as in_rtt,
        bool_or(source = 'nhse_mhsds') as in_mhsds,
        bool_or(source = 'nhse_cwt') as in_cancer_waits

    from recent
    group by organisation_code

)

select
    evidence.organisation_code,
    evidence.organisation_name,
    regions.region_code,
    regions.region_name,
    evidence.last_period_start,
    evidence.type1_attendances,
    evidence.type2_attendances,
    evidence.other_attendances,
    evidence.in_rtt,
    evidence.in_mhsds,
    evidence.in_cancer_waits

from evidence
left join regions on evidence.parent_org = regions.nhse_parent_org
