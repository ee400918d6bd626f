with

source as (

    {{ lake_source('nhse', 'nhse_rtt_pathways') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        organisation_name,
        provider_parent_code,
        commissioner_code,
        rtt_part,
        treatment_function_code,
        treatment_function_name,

        -- pathways by weeks waited (or, for completed pathways, waited before the clock stopped)
        {{ rtt_bands(0, 18) }} as within_18_weeks,
        {{ rtt_bands(52) }} as over_52_weeks,
        {{ rtt_bands(65) }} as over_65_weeks,
        {{ rtt_bands(78) }} as over_78_weeks,
        {{ rtt_bands(104) }} as over_104_weeks,
        total,
        unknown_clock_start,
        total_all,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
