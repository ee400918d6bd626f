{#- Every service line a value can be reported for, with the name reports show: 'all' (the whole
    organisation), the MHLDA service lines and RTT's treatment functions. -#}

with

service_lines as (

    select * from {{ ref('service_lines') }}

)

select
    service_line,
    service_line_name,
    collection,
    service_line = 'all' as is_whole_organisation

from service_lines
