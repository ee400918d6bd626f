with

source as (

    {{ lake_source('ods', 'ods_independent_providers') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        national_grouping as region_code,
        high_level_health_geography as health_geography_code,

        -- text
        organisation_name,
        postcode,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(open_date as date) as opened_on,
        cast(close_date as date) as closed_on

    from source

)

select * from renamed
