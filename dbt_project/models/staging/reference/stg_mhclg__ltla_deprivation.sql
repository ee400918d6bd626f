with

source as (

    {{ lake_source('mhclg', 'mhclg_ltla_deprivation') }}

),

renamed as (

    select
        -- ids
        ltla19_code,

        -- numerics: the index
        imd_score,
        imd_proportion,
        imd_extent,

        -- numerics: its domains
        income_score,
        income_proportion,
        employment_score,
        employment_proportion,
        education_score,
        education_proportion,
        health_score,
        health_proportion,
        crime_score,
        crime_proportion,
        housing_and_access_score,
        housing_and_access_proportion,
        environment_score,
        environment_proportion,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at

    from source

)

select * from renamed
