with

source as (

    {{ lake_source('indicators', 'mhlda_indicator_returns') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        metric_code,
        service_line,

        -- numbers
        cast(numerator as double) as numerator,
        cast(denominator as double) as denominator,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
