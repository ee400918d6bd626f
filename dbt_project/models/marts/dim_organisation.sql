with

registered as (

    select * from {{ ref('stg_reference__organisations') }}

)

select
    organisation_code,
    organisation_name,
    organisation_type,
    region_code,
    region_name

from registered
