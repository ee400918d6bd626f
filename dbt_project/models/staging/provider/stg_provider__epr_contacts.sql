with

source as (

    {{ lake_source('provider', 'epr_contacts') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        team_code,
        cast(contact_id as varchar) as contact_id,
        patient_pseudonym,
        staff_pseudonym,

        -- attributes
        contact_type,
        location,
        outcome,
        activity_type,

        -- numbers
        cast(duration_minutes as integer) as duration_minutes,
        cast(travel_minutes as integer) as travel_minutes,
        cast(interventions as integer) as interventions,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates and times
        cast(contact_date as date) as contact_date,
        start_time,
        end_time,
        period,
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
