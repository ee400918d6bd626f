with

source as (

    {{ lake_source('lake', 'submissions') }}

),

renamed as (

    select
        -- ids
        dataset,
        collection,
        period,
        source_file,
        submitter as organisation_code,

        -- text
        status,
        first_error,

        -- numbers
        cast(rows as bigint) as row_count,
        cast(violations as bigint) as violation_count,

        -- lineage
        source_sha256,
        fingerprint,

        -- timestamps
        cast(submitted_at as timestamp) as submitted_at

    from source

)

select * from renamed
