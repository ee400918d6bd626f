{#- Providers named in national data: each code's name as of its latest month, its NHS region, and
    a type inferred from the data (a type 1 department means an acute trust). -#}

with

attendances as (

    select * from {{ ref('stg_nhse__ae_attendances') }}

),

regions as (

    select * from {{ ref('nhs_regions') }}

),

latest as (

    select
        *,
        row_number() over (
            partition by organisation_code order by period_start desc
        ) as recency,
        max(attendances_type1) over (partition by organisation_code) as most_type1_attendances

    from attendances

)

select
    latest.organisation_code,
    latest.organisation_name,
    case when latest.most_type1_attendances > 0 then 'acute_trust' else 'other' end
        as organisation_type,
    regions.region_code,
    regions.region_name

from latest
left join regions on latest.parent_org = regions.nhse_parent_org
where latest.recency = 1
