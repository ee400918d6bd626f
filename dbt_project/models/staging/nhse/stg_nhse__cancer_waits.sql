with

source as (

    {{ lake_source('nhse', 'nhse_cancer_waits') }}

),

renamed as (

    select
        -- ids
        standard,
        organisation_code,
        organisation_name,
        route_or_stage,

        -- people (halves where two providers share a breach)
        total,
        within_standard,
        after_standard,

        -- lineage: the workbook, and the cell's sheet and row in it
        source_file,
        sheet,
        sheet_row,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(period || '-01' as date) as period_start

    from source

)

select * from renamed
