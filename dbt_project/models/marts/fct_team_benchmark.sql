{#- Each team against its provider's other teams (the Insight report): per provider, metric,
    grain and period, every team's value beside the teams' N, median, quartiles and mean, its
    rank among them by the metric's polarity (1 best; none for a neutral metric), the provider's
    own value, and the gaps to the teams' median and to their top quartile (the upper quartile
    where higher is better, the lower where lower is better, the upper for a neutral metric).
    Whole teams only (service line 'all'). Incremental like fct_benchmark: by the month a period
    ends, the window and the 12 months after (the rolling 12 months holding a changed month). -#}

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ clear_partition_window(column='period_end', months_after=12) }}",
    )
}}

with

metric_values as (

    select * from {{ ref('fct_metric_value') }}
    where collection = 'operational' and service_line = 'all'
        and {{ incremental_window(column='period_end', months_after=12) }}

),

metrics as (

    select * from {{ ref('metric_catalogue') }}

),

teams as (

    select
        metric_values.*,
        metrics.polarity,
        case when metrics.polarity = 'lower_is_better' then -1 else 1 end as direction

    from metric_values
    inner join metrics on metric_values.metric_code = metrics.metric_code
    where metric_values.team_code is not null and metric_values.value is not null

),

providers as (

    select organisation_code, metric_code, grain, period_start, value as provider_value
    from metric_values
    where team_code is null

),

team_statistics as (

    select
        organisation_code,
        metric_code,
        grain,
        period_start,
        count(*) as teams_n,
        avg(value) as teams_mean,
        percentile_cont(0.25) within group (order by value) as teams_lower_quartile,
        percentile_cont(0.5) within group (order by value) as teams_median,
        percentile_cont(0.75) within group (order by value) as teams_upper_quartile

    from teams
    group by organisation_code, metric_code, grain, period_start

),

ranked as (

    select
        teams.*,
        {{ rank_by_polarity('organisation_code, metric_code, grain, period_start') }}
            as team_rank

    from teams

)

select
    md5(
        ranked.organisation_code || '|' || ranked.team_code || '|' || ranked.metric_code || '|'
        || ranked.grain || '|' || cast(ranked.period_start as varchar)
    ) as team_benchmark_id,
    ranked.organisation_code,
    ranked.team_code,
    ranked.metric_code,
    ranked.grain,
    ranked.period_start,
    ranked.period_end,
    ranked.numerator,
    ranked.denominator,
    ranked.value,
    cast(team_statistics.teams_n as {{ dbt.type_bigint() }}) as teams_n,
    cast(team_statistics.teams_mean as double) as teams_mean,
    cast(team_statistics.teams_lower_quartile as double) as teams_lower_quartile,
    cast(team_statistics.teams_median as double) as teams_median,
    cast(team_statistics.teams_upper_quartile as double) as teams_upper_quartile,
    cast(
        case when ranked.polarity = 'lower_is_better' then team_statistics.teams_lower_quartile
            else team_statistics.teams_upper_quartile end as double
    ) as teams_top_quartile,
    ranked.team_rank,
    cast(providers.provider_value as double) as provider_value,
    cast(ranked.value - team_statistics.teams_median as double) as gap_to_median,
    cast(
        ranked.value - case when ranked.polarity = 'lower_is_better'
            then team_statistics.teams_lower_quartile
            else team_statistics.teams_upper_quartile end as double
    ) as gap_to_top_quartile,
    {{ refreshed_at() }} as refreshed_at

from ranked
inner join team_statistics
    on ranked.organisation_code = team_statistics.organisation_code
    and ranked.metric_code = team_statistics.metric_code
    and ranked.grain = team_statistics.grain
    and ranked.period_start = team_statistics.period_start
left join providers
    on ranked.organisation_code = providers.organisation_code
    and ranked.metric_code = providers.metric_code
    and ranked.grain = providers.grain
    and ranked.period_start = providers.period_start
