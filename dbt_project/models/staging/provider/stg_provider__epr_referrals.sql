with

source as (

    {{ lake_source('provider', 'epr_referrals') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        team_code,
        referral_pseudonym,
        patient_pseudonym,

        -- attributes
        referral_source,
        priority,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates and times
        cast(received_at as timestamp) as received_at,
        cast(accepted_on as date) as accepted_on,
        cast(first_contact_at as timestamp) as first_contact_at,
        cast(discharged_on as date) as discharged_on,
        period,
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
