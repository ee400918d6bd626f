{#- Each member's k nearest neighbours (var nearest_neighbours, default 10) among the members of
    its own type, by the similarity of their catchments (int_catchment_profiles).

    Four features: the natural log of the population (a catchment of 1.2 million is as far from
    one of 600,000 as that one is from 300,000: on a raw scale the few very large catchments would
    set the spread and squeeze every other member together), the population-weighted IMD score,
    and the shares under 18 and aged 65 and over. Each is standardised across every member with a
    profile (z-score: minus the mean, over the sample standard deviation; a feature with no spread
    counts zero), and the distance is the Euclidean distance between the standardised features,
    each feature weighing the same. Neighbours are ranked by distance, a tie broken by the
    neighbour's code; a type with fewer than k + 1 members gives each member all the others. -#}

{%- set k = var('nearest_neighbours', 10) %}

with

profiles as (

    select * from {{ ref('int_catchment_profiles') }}
    where imd_score is not null

),

features as (

    select
        organisation_code,
        organisation_type,
        ln(population) as log_population,
        imd_score,
        share_under_18,
        share_65_and_over

    from profiles

),

spread as (

    select
        avg(log_population) as mean_log_population,
        stddev_samp(log_population) as sd_log_population,
        avg(imd_score) as mean_imd_score,
        stddev_samp(imd_score) as sd_imd_score,
        avg(share_under_18) as mean_share_under_18,
        stddev_samp(share_under_18) as sd_share_under_18,
        avg(share_65_and_over) as mean_share_65_and_over,
        stddev_samp(share_65_and_over) as sd_share_65_and_over

    from features

),

standardised as (

    select
        features.organisation_code,
        features.organisation_type,
        {%- for feature in ['log_population', 'imd_score', 'share_under_18', 'share_65_and_over'] %}
        coalesce(
            (features.{{ feature }} - spread.mean_{{ feature }})
                / nullif(spread.sd_{{ feature }}, 0),
            0
        ) as z_{{ feature }}{{ ',' if not loop.last }}
        {%- endfor %}

    from features
    cross join spread

),

pairs as (

    select
        focal.organisation_code,
        neighbour.organisation_code as neighbour_code,
        focal.organisation_type,
        -- to 9 decimals, so that equal distances computed in another order still tie
        cast(round(sqrt(
            power(focal.z_log_population - neighbour.z_log_population, 2)
            + power(focal.z_imd_score - neighbour.z_imd_score, 2)
            + power(focal.z_share_under_18 - neighbour.z_share_under_18, 2)
            + power(focal.z_share_65_and_over - neighbour.z_share_65_and_over, 2)
        ), 9) as double) as distance

    from standardised as focal
    inner join standardised as neighbour
        on focal.organisation_type = neighbour.organisation_type
        and focal.organisation_code <> neighbour.organisation_code

),

ranked as (

    select
        organisation_code,
        neighbour_code,
        organisation_type,
        distance,
        cast(
            row_number() over (
                partition by organisation_code
                order by distance, neighbour_code
            ) as {{ dbt.type_bigint() }}
        ) as neighbour_rank

    from pairs

)

select * from ranked
where neighbour_rank <= {{ k }}
