with

source as (

    {{ lake_source('provider_registers', 'operational_comparators') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        comparator_code,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at

    from source

)

select * from renamed
