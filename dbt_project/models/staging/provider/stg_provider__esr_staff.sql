with

source as (

    {{ lake_source('provider', 'esr_staff') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        team_code,
        position_id,
        staff_pseudonym,

        -- attributes
        role,
        role not in ('admin_and_clerical', 'manager') as is_clinical,
        band,

        -- numbers
        cast(wte as double) as wte,
        cast(budgeted_wte as double) as budgeted_wte,
        cast(sickness_absence_days as double) as sickness_absence_days,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(start_date as date) as start_date,
        cast(leaving_date as date) as leaving_date,
        period,
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
