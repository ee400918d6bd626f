{#- Participating members from the register, then providers known only from national data. The
    register wins where both name an organisation. Where NHS ODS knows the code as an NHS trust,
    its name, region and open and close dates stand beside them (ods_*), for matching and for
    telling which organisations existed in a period. -#}

with

registered as (

    select * from {{ ref('stg_reference__organisations') }}

),

national as (

    select * from {{ ref('int_national_organisations') }}

),

trusts as (

    select * from {{ ref('stg_ods__trusts') }}

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

),

with_ods as (

    select
        organisations.*,
        trusts.organisation_name as ods_name,
        trusts.region_code as ods_region_code,
        trusts.opened_on as ods_opened_on,
        trusts.closed_on as ods_closed_on

    from organisations
    left join trusts on organisations.organisation_code = trusts.organisation_code

)

select * from with_ods
