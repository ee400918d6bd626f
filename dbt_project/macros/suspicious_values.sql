{#- Suspicious but valid values, flagged for data-quality review (never dropped): a value that
    passed every rule of the return contract (plausible range included) but is far from the
    organisation's own history or outside its peers' usual range. Declared once, here, and used
    by fct_metric_value and by `peerbench validate` (orchestration/validate.py), which renders
    this very file with Python's jinja2: so these macros are plain Jinja (no ref, source, var,
    adapter or dbt.*) over DuckDB SQL.

    `judged` and `history` name relations (tables or CTEs) with the columns collection,
    organisation_code, metric_code, service_line, period_start and value (`history` needs no
    collection). The result is every row of `judged`, its columns as they are, plus
    `quality_flag`: the reasons joined with '; ', or null when there are none. Only the values of
    the collections `suspicious_value_collections()` names are judged (submitted returns; NHS
    England's published data is not ours to query), and a null value never is.

    - Own history: the organisation's values for the same metric and service line in the 12
      months before the value's month (not the month itself), when there are at least 6. With M
      their median and MAD their median absolute deviation from M, the value is "far from its
      own history (median M)" when |value - M| > 4 x max(1.4826 x MAD, 10% of |M|, 1e-9): about
      4 standard deviations for normal data, never less than 40% of the median (a steady series
      has a MAD of zero, and a small wobble must not flag).
    - Peers: the other organisations' values for the same metric, service line and month, when
      there are at least 5. With Q1 and Q3 their lower and upper quartiles (linear interpolation,
      as fct_benchmark's) and IQR = max(Q3 - Q1, 10% of |their median|, 1e-9), the value is
      "outside the peers' usual range" when it is below Q1 - 3 x IQR or above Q3 + 3 x IQR
      (Tukey's far-out fences; the floor keeps identical peers from flagging every difference).
    A value a flag judges is exactly on its fence is not flagged. -#}
{% macro suspicious_values(judged, history) -%}
{%- set history_min, history_deviations, mad_to_sd = 6, 4, 1.4826 -%}
{%- set peers_min, peer_iqrs, floor_share = 5, 3, 0.1 -%}
select
    judged.*,
    nullif(concat_ws('; ',
        case
            when stats.history_n >= {{ history_min }}
                and abs(judged.value - stats.history_median) > {{ history_deviations }}
                    * greatest({{ mad_to_sd }} * stats.history_mad,
                        {{ floor_share }} * abs(stats.history_median), 1e-9)
                then 'far from its own history (median ' || printf('%.2f', stats.history_median) || ')'
        end,
        case
            when stats.peer_n >= {{ peers_min }}
                and (
                    judged.value < stats.peer_q1 - {{ peer_iqrs }}
                        * greatest(stats.peer_q3 - stats.peer_q1,
                            {{ floor_share }} * abs(stats.peer_median), 1e-9)
                    or judged.value > stats.peer_q3 + {{ peer_iqrs }}
                        * greatest(stats.peer_q3 - stats.peer_q1,
                            {{ floor_share }} * abs(stats.peer_median), 1e-9)
                )
                then 'outside the peers'' usual range'
        end
    ), '') as quality_flag

from {{ judged }} as judged
left join (
    {#- each organisation's series and each month's values are gathered once into lists, and each
        judged value takes its 12 months before from the first and its peers (the others that
        month) from the second: memory grows with the values, not with values x peers (a join of
        each value to its peers' holds about 200 x 200 rows a metric and month at national
        scale, which quartiles, being holistic, cannot spill) -#}
    select
        organisation_code,
        metric_code,
        service_line,
        period_start,
        len(past) as history_n,
        list_aggregate(past, 'median') as history_median,
        list_aggregate(past, 'mad') as history_mad,
        len(others) as peer_n,
        list_aggregate(others, 'quantile_cont', 0.25) as peer_q1,
        list_aggregate(others, 'median') as peer_median,
        list_aggregate(others, 'quantile_cont', 0.75) as peer_q3
    from (
        select
            keys.*,
            list_transform(
                list_filter(
                    series.values_by_month,
                    lambda past: past.period_start >= keys.period_start - interval 12 month
                        and past.period_start < keys.period_start
                ),
                lambda past: past.value
            ) as past,
            list_transform(
                list_filter(
                    month_values.values_by_organisation,
                    lambda other: other.organisation_code <> keys.organisation_code
                ),
                lambda other: other.value
            ) as others
        from (
            select distinct organisation_code, metric_code, service_line, period_start
            from {{ judged }}
            where collection in ({{ suspicious_value_collections() }}) and value is not null
        ) as keys
        left join (
            select
                organisation_code,
                metric_code,
                service_line,
                list({'period_start': period_start, 'value': value}) as values_by_month
            from {{ history }}
            where value is not null
            group by all
        ) as series
            on series.organisation_code = keys.organisation_code
            and series.metric_code = keys.metric_code
            and series.service_line = keys.service_line
        left join (
            select
                metric_code,
                service_line,
                period_start,
                list({'organisation_code': organisation_code, 'value': value})
                    as values_by_organisation
            from {{ history }}
            where value is not null
            group by all
        ) as month_values
            on month_values.metric_code = keys.metric_code
            and month_values.service_line = keys.service_line
            and month_values.period_start = keys.period_start
    )
) as stats
    on stats.organisation_code = judged.organisation_code
    and stats.metric_code = judged.metric_code
    and stats.service_line = judged.service_line
    and stats.period_start = judged.period_start
{%- endmacro %}

{#- The collections whose values suspicious_values judges, as a SQL list: the submitted returns. -#}
{% macro suspicious_value_collections() -%}
    'community_indicators', 'mhlda'
{%- endmacro %}
