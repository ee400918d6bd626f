{#- Every declared local authority is a 2021 code in ONS's population file (as the model's
    `is_known` says). A failing row names the member and the code, and, for a code retired since
    2019, the authority that replaced it (seed ltla_code_changes). Nothing is judged before the
    population file is loaded. Stored in the warehouse
    (store_failures, as dbt_test__audit.unknown_local_authorities) to be read back. -#}
{% test local_authority_is_known(model, column_name) %}

select
    declared.organisation_code,
    declared.{{ column_name }} as declared_code,
    case
        when code_changes.ltla21_code is not null then
            'a 2019 code: ' || code_changes.ltla19_name || ' became part of '
            || code_changes.ltla21_name || ' (' || code_changes.ltla21_code || ') on '
            || cast(code_changes.changed_on as varchar) || '; declare that code'
        else 'not a local authority code in the ONS population file (2021 codes)'
    end as reason

from {{ model }} as declared
left join {{ ref('ltla_code_changes') }} as code_changes
    on declared.{{ column_name }} = code_changes.ltla19_code
where not declared.is_known
    and exists (select 1 from {{ ref('int_local_authority_profiles') }})  -- the file is loaded

{% endtest %}
