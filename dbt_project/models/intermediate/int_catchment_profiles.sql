{#- Each register member's catchment: the local authorities it declares that ONS's population
    file knows, taken whole. Its population is their sum; its IMD score their scores weighted by
    population (an authority's score is itself the population-weighted mean of its LSOAs'
    scores, so this is the catchment's); its age profile the shares under 18 and aged 65 and
    over. The features of nearest-neighbour peer grouping (int_nearest_neighbours). -#}

with

organisations as (

    select * from {{ ref('stg_reference__organisations') }}

),

declared as (

    select * from {{ ref('int_organisation_local_authorities') }}

),

authorities as (

    select * from {{ ref('int_local_authority_profiles') }}

),

catchments as (

    select
        declared.organisation_code,
        count(*) as local_authorities,
        sum(authorities.population) as population,
        sum(authorities.population_under_18) as population_under_18,
        sum(authorities.population_65_and_over) as population_65_and_over,
        sum(authorities.imd_score * authorities.population) / nullif(
            sum(case when authorities.imd_score is not null then authorities.population end), 0
        ) as imd_score

    from declared
    inner join authorities on declared.ltla21_code = authorities.ltla21_code
    group by declared.organisation_code

),

profiled as (

    select
        catchments.organisation_code,
        organisations.organisation_type,
        cast(catchments.local_authorities as {{ dbt.type_bigint() }}) as local_authorities,
        cast(catchments.population as {{ dbt.type_bigint() }}) as population,
        cast(catchments.imd_score as double) as imd_score,
        cast(catchments.population_under_18 as double)
            / nullif(catchments.population, 0) as share_under_18,
        cast(catchments.population_65_and_over as double)
            / nullif(catchments.population, 0) as share_65_and_over

    from catchments
    inner join organisations on catchments.organisation_code = organisations.organisation_code

)

select * from profiled
