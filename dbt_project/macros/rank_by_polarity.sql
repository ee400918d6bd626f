{#- A value's rank among those sharing `partition_by` (a SQL list of columns): 1 is the best by
    the metric's polarity (the row's `polarity`, and `direction`: -1 where lower is better, else
    1); a neutral metric has no best, so no rank. Ties share the better rank. -#}
{% macro rank_by_polarity(partition_by) -%}
    case when polarity <> 'neutral' then
        cast(
            rank() over (partition by {{ partition_by }} order by value * direction desc)
            as {{ dbt.type_bigint() }}
        )
    end
{%- endmacro %}
