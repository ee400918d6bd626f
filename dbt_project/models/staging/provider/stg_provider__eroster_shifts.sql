with

source as (

    {{ lake_source('provider', 'eroster_shifts') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        team_code,
        staff_pseudonym,

        -- attributes
        shift_type,
        employment_type,
        overtime = 'yes' as is_overtime,
        band,

        -- numbers
        cast(duration_minutes as integer) as duration_minutes,
        cast(break_minutes as integer) as break_minutes,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates and times
        cast(shift_date as date) as shift_date,
        start_time,
        end_time,
        period,
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
