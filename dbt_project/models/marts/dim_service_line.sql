{#- Every service line a value can be reported for, with the name reports show: 'all' (the whole
    organisation), the MHLDA service lines, RTT's treatment functions and the operational
    programme's slices of a provider (departments, staff bands, activity types), each with the
    breakdown it belongs to. -#}

with

service_lines as (

    select * from {{ ref('service_lines') }}

)

select
    service_line,
    service_line_name,
    collection,
    coalesce(breakdown, '') as breakdown,
    service_line = 'all' as is_whole_organisation

from service_lines
