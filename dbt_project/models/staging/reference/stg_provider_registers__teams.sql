with

source as (

    {{ lake_source('provider_registers', 'operational_teams') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        team_code,

        -- attributes
        team_name,
        department,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(opened_on as date) as opened_on,
        cast(closed_on as date) as closed_on

    from source

)

select * from renamed
