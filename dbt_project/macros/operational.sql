{#- An Agenda for Change band's group, the slices the operational metrics are broken down by:
    bands 2-4 (support workers, assistants, associates), 5 (newly registered), 6 and 7 and above
    (senior clinicians and managers); null for staff outside Agenda for Change. -#}
{% macro band_group(band) -%}
    case
        when {{ band }} in ('2', '3', '4') then 'band_2_4'
        when {{ band }} = '5' then 'band_5'
        when {{ band }} = '6' then 'band_6'
        when {{ band }} in ('7', '8a', '8b', '8c', '8d', '9') then 'band_7_plus'
    end
{%- endmacro %}
