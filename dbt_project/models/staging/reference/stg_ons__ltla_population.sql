with

source as (

    {{ lake_source('ons', 'ons_ltla_population') }}

),

renamed as (

    select
        -- ids
        ltla21_code,

        -- text
        ltla21_name,
        case
            when age < 18 then 'under_18'
            when age < 65 then '18_to_64'
            else '65_and_over'
        end as age_band,

        -- numerics
        cast(age as integer) as age,
        cast(population as {{ dbt.type_bigint() }}) as population,

        -- booleans
        age = 90 as is_open_ended_age,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at

    from source

)

select * from renamed
