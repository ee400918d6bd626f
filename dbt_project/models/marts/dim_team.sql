{#- Every team of the operational programme's providers, from their team registers: code, name,
    department (the breakdown its values are summed into) and open and close dates. -#}

with

teams as (

    select * from {{ ref('stg_provider_registers__teams') }}

)

select
    organisation_code,
    team_code,
    team_name,
    department,
    opened_on,
    closed_on

from teams
