with

source as (

    {{ lake_source('nhse', 'nhse_ae_history') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        department_type,

        -- counts
        cast(attendances as {{ dbt.type_bigint() }}) as attendances,
        cast(breaches as {{ dbt.type_bigint() }}) as over_4hrs,
        cast(admissions as {{ dbt.type_bigint() }}) as emergency_admissions,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(period_start as date) as period_start

    from source

)

select * from renamed
