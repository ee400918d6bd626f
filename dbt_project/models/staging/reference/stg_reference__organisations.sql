with

source as (

    select * from {{ source('reference', 'organisations') }}

),

renamed as (

    select
        -- ids
        organisation_code,
        region_code,

        -- text
        organisation_name,
        organisation_type,
        region_name,
        local_authorities

    from source

)

select * from renamed
