{#- The local authorities each register member declares it serves, one row per member and code,
    beside what ONS's population file knows of the code (its name; null for a code it does not
    hold, which the test local_authority_is_known reports with the member's row). -#}

with

organisations as (

    select * from {{ ref('stg_reference__organisations') }}

),

authorities as (

    select * from {{ ref('int_local_authority_profiles') }}

),

declared as (

    select
        organisation_code,
        {{ split_to_rows('local_authorities', ';') }} as ltla21_code

    from organisations
    where local_authorities is not null

),

named as (

    select
        declared.organisation_code,
        declared.ltla21_code,
        authorities.ltla21_name,
        authorities.ltla21_code is not null as is_known

    from declared
    left join authorities on declared.ltla21_code = authorities.ltla21_code

)

select * from named
