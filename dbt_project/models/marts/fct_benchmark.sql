{#- Each organisation's value against its peers, per metric, service line, month and peer group.
    Each organisation is benchmarked in up to four peer groups: "all" (every organisation with an
    organisation-level value for that metric and month), "organisation_type" (those of its own
    type: acute trusts against acute trusts), "nhs_region" (those in its NHS region) and, for a
    register member with a catchment, "nearest_neighbours" (itself and its nearest neighbours,
    int_nearest_neighbours, those with a value); the statistics, rank and band are within the
    group (peer_group_value names which type or region; for nearest neighbours the organisation
    itself, as every member has its own group, and only its own row is kept).
    The national figure is the summed numerators over the summed denominators of the same rows
    (for A&E, every provider in NHS England's file: its England figure), beside every row.
    Rank 1 is the best value by the metric's polarity; a neutral metric has no best, so no rank,
    only its position (percentile: 0 the lowest, 100 the highest), as every metric has. Quartile
    band 1 holds the lowest values, 4 the highest, whatever the polarity.
    Operational values come per month, NHS quarter and rolling 12 months (grain): each grain is
    benchmarked on its own, and the previous value is the period of the same grain just before
    (the month, the quarter, the 12 months before).
    Incremental by window: a period's statistics depend on its own values only, and its change
    from the previous period on the period before, so a refresh of months [start, end)
    rebuilds the months in it and the month after, and the longer periods ending in it or in the
    24 months after (macros/partition_window.sql: benchmark_window). A new month has nothing
    after it: only a late return costs more than its month. -#}

{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ clear_benchmark_window() }}",
    )
}}

with

metric_values as (

    select * from {{ ref('fct_metric_value') }}
    where team_code is null and value is not null
        {% if is_incremental() %}and {{ benchmark_window() }}{% endif %}

),

metrics as (

    select * from {{ ref('metric_catalogue') }}

),

organisations as (

    select * from {{ ref('dim_organisation') }}

),

neighbours as (

    select * from {{ ref('int_nearest_neighbours') }}

),

catchments as (

    select * from {{ ref('int_catchment_profiles') }}

),

{#- each member's nearest-neighbour group: itself and its neighbours -#}
neighbour_groups as (

    select organisation_code as focal_code, neighbour_code as member_code from neighbours
    union all
    select organisation_code, organisation_code from catchments
    where imd_score is not null

),

valued as (

    select
        metric_values.*,
        organisations.organisation_type,
        organisations.region_code,
        metrics.polarity,
        case when metrics.polarity = 'lower_is_better' then -1 else 1 end as direction

    from metric_values
    inner join metrics on metric_values.metric_code = metrics.metric_code
    left join organisations on metric_values.organisation_code = organisations.organisation_code

),

{#- each operational provider's named comparator set: itself and the providers it names -#}
comparator_groups as (

    select organisation_code as focal_code, comparator_code as member_code
    from {{ ref('stg_provider_registers__comparators') }}
    union
    select organisation_code, organisation_code
    from {{ ref('stg_provider_registers__comparators') }}

),

{#- each organisation in its peer groups: everyone, its own type, its own NHS region, each
    nearest-neighbour group it is in (its own and those of the members it neighbours) and, for
    the operational programme, each comparator set it is in -#}
peer_groups as (

    select valued.*, 'all' as peer_group, 'all' as peer_group_value from valued
    union all
    select valued.*, 'organisation_type', organisation_type from valued
    where organisation_type is not null
    union all
    select valued.*, 'nhs_region', region_code from valued
    where region_code is not null
    union all
    select valued.*, 'nearest_neighbours', neighbour_groups.focal_code from valued
    inner join neighbour_groups on valued.organisation_code = neighbour_groups.member_code
    union all
    select valued.*, 'comparators', comparator_groups.focal_code from valued
    inner join comparator_groups on valued.organisation_code = comparator_groups.member_code
    where valued.collection = 'operational'

),

peer_statistics as (

    select
        metric_code,
        service_line,
        grain,
        period_start,
        peer_group,
        peer_group_value,
        count(*) as peer_n,
        avg(value) as peer_mean,
        min(value) as peer_min,
        percentile_cont(0.25) within group (order by value) as peer_lower_quartile,
        percentile_cont(0.5) within group (order by value) as peer_median,
        percentile_cont(0.75) within group (order by value) as peer_upper_quartile,
        max(value) as peer_max

    from peer_groups
    group by metric_code, service_line, grain, period_start, peer_group, peer_group_value

),

national as (

    select
        metric_values.metric_code,
        metric_values.service_line,
        metric_values.grain,
        metric_values.period_start,
        sum(metric_values.numerator) as national_numerator,
        sum(metric_values.denominator) as national_denominator,
        case
            when any_value(metrics.aggregation) = 'sum' then sum(metric_values.numerator)
            else sum(metric_values.numerator) / nullif(sum(metric_values.denominator), 0)
                * any_value(metrics.multiplier)
        end as national_value

    from metric_values
    inner join metrics on metric_values.metric_code = metrics.metric_code
    group by
        metric_values.metric_code, metric_values.service_line, metric_values.grain,
        metric_values.period_start

),

ranked as (

    select
        peer_groups.*,
        {{ rank_by_polarity(
            'metric_code, service_line, grain, period_start, peer_group, peer_group_value'
        ) }} as peer_rank,
        100 * percent_rank() over (
            partition by
                metric_code, service_line, grain, period_start, peer_group, peer_group_value
            order by value
        ) as peer_percentile

    from peer_groups

),

{#- the period of the same grain just before: read from the whole mart, not the window -#}
previous as (

    select
        metric_code,
        organisation_code,
        service_line,
        grain,
        period_start,
        value

    from {{ ref('fct_metric_value') }}
    where team_code is null and value is not null
        and {{ incremental_window(column='period_end', months_before=13, months_after=24) }}

),

benchmarked as (

    select
        md5(
            ranked.metric_code || '|' || ranked.service_line || '|' || ranked.grain || '|'
            || cast(ranked.period_start as varchar) || '|' || ranked.peer_group
            || '|' || ranked.organisation_code
        ) as benchmark_id,
        ranked.collection,
        ranked.metric_code,
        ranked.service_line,
        ranked.grain,
        ranked.period_start,
        ranked.period_end,
        ranked.peer_group,
        ranked.peer_group_value,
        ranked.organisation_code,
        ranked.numerator,
        ranked.denominator,
        ranked.value,
        cast(peer_statistics.peer_n as {{ dbt.type_bigint() }}) as peer_n,
        cast(peer_statistics.peer_mean as double) as peer_mean,
        cast(peer_statistics.peer_min as double) as peer_min,
        cast(peer_statistics.peer_lower_quartile as double) as peer_lower_quartile,
        cast(peer_statistics.peer_median as double) as peer_median,
        cast(peer_statistics.peer_upper_quartile as double) as peer_upper_quartile,
        cast(peer_statistics.peer_max as double) as peer_max,
        ranked.peer_rank,
        cast(ranked.peer_percentile as double) as peer_percentile,
        cast(
            case
                when ranked.value <= peer_statistics.peer_lower_quartile then 1
                when ranked.value <= peer_statistics.peer_median then 2
                when ranked.value <= peer_statistics.peer_upper_quartile then 3
                else 4
            end as integer
        ) as quartile_band,
        ranked.value - peer_statistics.peer_median as difference_from_median,
        cast(national.national_numerator as double) as national_numerator,
        cast(national.national_denominator as double) as national_denominator,
        cast(national.national_value as double) as national_value,
        previous.value as previous_value,
        ranked.value - previous.value as change_from_previous,
        {{ refreshed_at() }} as refreshed_at

    from ranked
    inner join peer_statistics
        on ranked.metric_code = peer_statistics.metric_code
        and ranked.service_line = peer_statistics.service_line
        and ranked.grain = peer_statistics.grain
        and ranked.period_start = peer_statistics.period_start
        and ranked.peer_group = peer_statistics.peer_group
        and ranked.peer_group_value = peer_statistics.peer_group_value
    inner join national
        on ranked.metric_code = national.metric_code
        and ranked.service_line = national.service_line
        and ranked.grain = national.grain
        and ranked.period_start = national.period_start
    left join previous
        on ranked.metric_code = previous.metric_code
        and ranked.organisation_code = previous.organisation_code
        and ranked.service_line = previous.service_line
        and ranked.grain = previous.grain
        and previous.period_start = {{ dbt.dateadd(
            'month',
            "-case ranked.grain when 'quarter' then 3 when 'rolling_12_months' then 12 else 1 end",
            'ranked.period_start') }}

)

select * from benchmarked
where {% if is_incremental() %}{{ benchmark_window() }}{% else %}true{% endif %}
    -- a nearest-neighbour group or a comparator set reports on its own member only
    and (peer_group not in ('nearest_neighbours', 'comparators')
        or organisation_code = peer_group_value)
