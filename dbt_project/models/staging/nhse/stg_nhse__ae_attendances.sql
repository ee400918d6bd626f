with

source as (

    {{ lake_source('nhse', 'nhse_ae_attendances') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        organisation_name,
        parent_org,

        -- attendances, by department type and booking
        cast(attendances_type1 as {{ dbt.type_bigint() }}) as attendances_type1,
        cast(attendances_type2 as {{ dbt.type_bigint() }}) as attendances_type2,
        cast(attendances_other as {{ dbt.type_bigint() }}) as attendances_other,
        cast(booked_type1 as {{ dbt.type_bigint() }}) as booked_type1,
        cast(booked_type2 as {{ dbt.type_bigint() }}) as booked_type2,
        cast(booked_other as {{ dbt.type_bigint() }}) as booked_other,

        -- attendances over 4 hours from arrival to admission, transfer or discharge
        cast(over_4hrs_type1 as {{ dbt.type_bigint() }}) as over_4hrs_type1,
        cast(over_4hrs_type2 as {{ dbt.type_bigint() }}) as over_4hrs_type2,
        cast(over_4hrs_other as {{ dbt.type_bigint() }}) as over_4hrs_other,
        cast(over_4hrs_booked_type1 as {{ dbt.type_bigint() }}) as over_4hrs_booked_type1,
        cast(over_4hrs_booked_type2 as {{ dbt.type_bigint() }}) as over_4hrs_booked_type2,
        cast(over_4hrs_booked_other as {{ dbt.type_bigint() }}) as over_4hrs_booked_other,

        -- waits from decision to admit to admission
        cast(dta_4_to_12_hours as {{ dbt.type_bigint() }}) as dta_4_to_12_hours,
        cast(dta_over_12_hours as {{ dbt.type_bigint() }}) as dta_over_12_hours,

        -- emergency admissions
        cast(emergency_admissions_type1 as {{ dbt.type_bigint() }}) as emergency_admissions_type1,
        cast(emergency_admissions_type2 as {{ dbt.type_bigint() }}) as emergency_admissions_type2,
        cast(emergency_admissions_other as {{ dbt.type_bigint() }}) as emergency_admissions_other,
        cast(other_emergency_admissions as {{ dbt.type_bigint() }}) as other_emergency_admissions,

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
