{#- Each English lower-tier local authority on its 2021 code: ONS's mid-2020 population, its
    shares under 18 and aged 65 and over, and MHCLG's IMD 2019 average score. IMD is published on
    2019 codes; an authority whose code changed since (Buckinghamshire in 2020, North and West
    Northamptonshire in 2021: seed ltla_code_changes) takes the plain mean of its former
    districts' scores, as neither file holds the districts' populations to weight them by.
    Welsh authorities (W06) are left out: the English IMD does not cover them. -#}

with

population as (

    select * from {{ ref('stg_ons__ltla_population') }}

),

deprivation as (

    select * from {{ ref('stg_mhclg__ltla_deprivation') }}

),

code_changes as (

    select * from {{ ref('ltla_code_changes') }}

),

authorities as (

    select
        ltla21_code,
        any_value(ltla21_name) as ltla21_name,
        sum(population) as population,
        sum(case when age_band = 'under_18' then population else 0 end) as population_under_18,
        sum(case when age_band = '65_and_over' then population else 0 end)
            as population_65_and_over

    from population
    where ltla21_code like 'E%'
    group by ltla21_code

),

{#- the 2019 districts' scores on 2021 codes: a code that did not change maps to itself -#}
deprivation_2021 as (

    select
        coalesce(code_changes.ltla21_code, deprivation.ltla19_code) as ltla21_code,
        avg(deprivation.imd_score) as imd_score,
        count(*) as imd_districts

    from deprivation
    left join code_changes on deprivation.ltla19_code = code_changes.ltla19_code
    group by coalesce(code_changes.ltla21_code, deprivation.ltla19_code)

),

profiled as (

    select
        authorities.ltla21_code,
        authorities.ltla21_name,
        cast(authorities.population as {{ dbt.type_bigint() }}) as population,
        cast(authorities.population_under_18 as {{ dbt.type_bigint() }}) as population_under_18,
        cast(authorities.population_65_and_over as {{ dbt.type_bigint() }})
            as population_65_and_over,
        cast(deprivation_2021.imd_score as double) as imd_score,
        cast(deprivation_2021.imd_districts as {{ dbt.type_bigint() }}) as imd_districts

    from authorities
    left join deprivation_2021 on authorities.ltla21_code = deprivation_2021.ltla21_code

)

select * from profiled
