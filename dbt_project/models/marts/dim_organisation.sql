{#- Every organisation the mart knows: the register's members, the providers named in national
    data and the successors that carry their series now, with the type, region and name
    int_organisation_types infers (the register wins where both name an organisation). Where NHS
    ODS knows the code as an NHS trust, its name, region and open and close dates stand beside
    them (ods_*), for matching and for telling which organisations existed in a period; where ODS
    says it was succeeded, by whom and from when, and for a successor, its predecessors. -#}

with

organisations as (

    select * from {{ ref('int_organisation_types') }}

),

trusts as (

    select * from {{ ref('stg_ods__trusts') }}

),

successors as (

    select * from {{ ref('int_organisation_successors') }}

),

predecessors as (

    select
        successor_code as organisation_code,
        string_agg(predecessor_code, ',' order by predecessor_code) as predecessor_codes

    from successors
    group by successor_code

)

select
    organisations.organisation_code,
    organisations.organisation_name,
    organisations.organisation_type,
    organisations.organisation_type_evidence,
    organisations.region_code,
    organisations.region_name,
    organisations.known_from,
    successors.successor_code,
    successors.succeeded_on,
    predecessors.predecessor_codes,
    trusts.organisation_name as ods_name,
    trusts.region_code as ods_region_code,
    trusts.opened_on as ods_opened_on,
    trusts.closed_on as ods_closed_on

from organisations
left join trusts on organisations.organisation_code = trusts.organisation_code
left join successors on organisations.organisation_code = successors.predecessor_code
left join predecessors on organisations.organisation_code = predecessors.organisation_code
