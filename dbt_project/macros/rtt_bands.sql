{#- The sum of RTT week bands of waits over `from_week` and up to `to_week` weeks (the lake's
    columns weeks_000_001 ... weeks_103_104, weeks_104_plus); blank bands count as 0. -#}
{% macro rtt_bands(from_week=0, to_week=105) -%}
    {%- set columns = [] -%}
    {%- for lower in range(from_week, [to_week, 105] | min) -%}
        {%- if lower == 104 -%}
            {%- do columns.append('weeks_104_plus') -%}
        {%- else -%}
            {%- do columns.append('weeks_%03d_%03d' % (lower, lower + 1)) -%}
        {%- endif -%}
    {%- endfor -%}
    ({% for column in columns %}coalesce({{ column }}, 0){{ ' + ' if not loop.last }}{% endfor %})
{%- endmacro %}
