{#- Participating members from the register, then providers known only from national data. The
    register wins where both name an organisation. -#}

with

registered as (

    select * from {{ ref('stg_reference__organisations') }}

),

national as (

    select * from {{ ref('int_national_organisations') }}

),

organisations as (

    select
        organisation_code,
        organisation_name,
        organisation_type,
        region_code,
        region_name,
        'register' as known_from

    from registered

    union all

    select
        national.organisation_code,
        national.organisation_name,
        national.organisation_type,
        national.region_code,
        national.region_name,
        'national_data' as known_from

    from national
    left join registered on national.organisation_code = registered.organisation_code
    where registered.organisation_code is null

)

select * from organisations
