with

source as (

    {{ lake_source('ods', 'ods_successors') }}

),

renamed as (

    select
        -- ids
        predecessor_code,
        successor_code,

        -- text
        succession_reason,
        indicator,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(effective_date as date) as succeeded_on

    from source

)

select * from renamed
