{#- A staging select over one of NHS ODS's organisation files in the lake (`dataset`: trusts,
    independent providers, GP practices share ODS's layout): the code, region (ODS's national
    grouping), health geography, name, postcode, open and close dates and lineage, plus the
    file's own `extra` columns. -#}
{% macro ods_organisations(dataset, extra=[]) -%}
with

source as (

    {{ lake_source('ods', dataset) }}

),

renamed as (

    select
        -- ids
        organisation_code,
        national_grouping as region_code,
        high_level_health_geography as health_geography_code,

        -- text
        organisation_name,
        postcode,
        {%- for column in extra %}
        {{ column }},
        {%- endfor %}

        -- lineage
        source_file,
        source_sha256,
        cast(submitted_at as timestamp) as submitted_at,

        -- dates
        cast(open_date as date) as opened_on,
        cast(close_date as date) as closed_on

    from source

)

select * from renamed
{%- endmacro %}
