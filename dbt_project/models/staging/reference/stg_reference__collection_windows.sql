with

source as (

    select * from {{ source('reference', 'collection_windows') }}

),

renamed as (

    select
        -- ids
        collection,
        window_period,

        -- dates
        cast(period_start as date) as period_start,
        cast(window_closes_on as date) as window_closes_on

    from source

)

select * from renamed
