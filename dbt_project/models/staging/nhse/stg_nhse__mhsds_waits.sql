{#- One row per reporting period, breakdown, organisation and measure, from the latest release
    that carries it: of the rows for one (organisation, measure, reporting period), those of the
    latest release (lake period, then landing time) count. The contract holds each release to the
    periods ending in its own month, so today each period has one release; the rule keeps the
    mart's key if a release ever restates an earlier period. `period_start` is the first day of
    the reporting period's last month: the window a rolling quarter is benchmarked in, and the
    lake partition (release) it comes from. -#}

with

source as (

    {{ lake_source('nhse', 'nhse_mhsds_waits') }}

),

latest as (

    select * from source
    qualify row_number() over (
        partition by
            breakdown, primary_level, secondary_level, measure_id,
            reporting_period_start, reporting_period_end
        order by period desc, submitted_at desc
    ) = 1

),

renamed as (

    select
        -- ids
        breakdown,
        primary_level,
        primary_level_description,
        secondary_level,
        measure_id,
        measure_name,
        status,

        -- the value, null where suppressed
        measure_value,
        suppressed,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        reporting_period_start,
        reporting_period_end,
        cast(date_trunc('month', reporting_period_end) as date) as period_start,
        cast(period || '-01' as date) as release_period_start

    from latest

)

select * from renamed
