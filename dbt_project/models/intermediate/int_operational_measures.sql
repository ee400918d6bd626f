{#- Every operational base measure (seeds/operational_measures.csv) per level, slice and period:
    each team as a whole; each provider as a whole, by band group and activity type (its teams
    summed) and by department (its teams in the department summed); per month, per NHS quarter
    and per rolling 12 months. A period's value aggregates its months as the seed says: flows
    are summed, stocks averaged over the period's months ('mean') or taken at the last month's
    end ('last'); the 'period' measures are worked over the whole period (workforce stability
    from the establishment at its start and end, referrals of the period before). A quarter or a
    rolling 12 months is given only when the provider sent extracts for every one of its months,
    and each measure of it only when the provider has that measure for every month (its extract
    sent each month).
    Rebuilt whole each time: it reads int_operational_team_months, a few rows per team and month
    (the big extracts were reduced there, incrementally). -#}

{%- set keys = ['organisation_code', 'team_code', 'period_start', 'slice'] -%}
{%- set measure_columns = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(ref('int_operational_team_months')) -%}
        {%- if column.name | lower not in keys -%}
            {%- do measure_columns.append(column.name | lower) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endif %}

with

team_months as (

    select * from {{ ref('int_operational_team_months') }}

),

teams as (

    select * from {{ ref('stg_provider_registers__teams') }}

),

establishment as (

    select * from {{ ref('stg_provider__esr_staff') }}

),

measures as (

    select * from {{ ref('operational_measures') }}

),

{#- a team as a whole; a provider as a whole and by slice; a provider by department -#}
levels as (

    select
        organisation_code,
        team_code,
        'all' as service_line,
        period_start
        {%- for column in measure_columns %},
        cast({{ column }} as double) as {{ column }}
        {%- endfor %}

    from team_months
    where slice = 'all'

    union all

    {# a slice's share of the whole (whole_*) is of the whole provider's: a team without a
       row for the slice (no staff of the band) still adds its contacts to the whole #}
    select
        organisation_code,
        cast(null as varchar) as team_code,
        slice as service_line,
        period_start
        {%- for column in measure_columns %},
        {%- if column.startswith('whole_') %}
        cast(sum(sum(case when slice = 'all' then {{ column }} end))
            over (partition by organisation_code, period_start) as double) as {{ column }}
        {%- else %}
        cast(sum({{ column }}) as double) as {{ column }}
        {%- endif %}
        {%- endfor %}

    from team_months
    group by organisation_code, slice, period_start

    union all

    select
        team_months.organisation_code,
        cast(null as varchar) as team_code,
        teams.department as service_line,
        team_months.period_start
        {%- for column in measure_columns %},
        cast(sum(team_months.{{ column }}) as double) as {{ column }}
        {%- endfor %}

    from team_months
    inner join teams
        on team_months.organisation_code = teams.organisation_code
        and team_months.team_code = teams.team_code
    where team_months.slice = 'all'
    group by team_months.organisation_code, teams.department, team_months.period_start

),

{#- the months each provider sent extracts for -#}
provider_months as (

    select distinct organisation_code, period_start from team_months

),

{#- NHS quarters (April to June ...) and rolling 12 months ending each month, where every month
    was sent; a month is a period of its own -#}
periods as (

    select
        organisation_code,
        'month' as grain,
        period_start,
        period_start as last_month,
        1 as months

    from provider_months

    union all

    select
        organisation_code,
        'quarter' as grain,
        quarter_start as period_start,
        cast({{ dbt.dateadd('month', 2, 'quarter_start') }} as date) as last_month,
        3 as months

    from (
        select
            organisation_code,
            cast({{ dbt.dateadd(
                'month', '-(' ~ "(extract(month from period_start) + 8)" ~ ' % 3)', 'period_start'
            ) }} as date) as quarter_start
        from provider_months
    ) as quarters
    group by organisation_code, quarter_start
    having count(*) = 3

    union all

    select
        ends.organisation_code,
        'rolling_12_months' as grain,
        cast({{ dbt.dateadd('month', -11, 'ends.period_start') }} as date) as period_start,
        ends.period_start as last_month,
        12 as months

    from provider_months as ends
    inner join provider_months as within
        on ends.organisation_code = within.organisation_code
        and within.period_start <= ends.period_start
        and within.period_start > {{ dbt.dateadd('month', -12, 'ends.period_start') }}
    group by ends.organisation_code, ends.period_start
    having count(*) = 12

),

{#- each level's months of each period, every measure summed over them, its value in the last
    month, and how many months had a value: one row per level and period (a few per team), so
    the measures are aggregated side by side, not one row per measure and month -#}
level_periods as (

    select
        levels.organisation_code,
        levels.team_code,
        levels.service_line,
        periods.grain,
        periods.period_start,
        periods.last_month,
        max(periods.months) as months
        {%- for column in measure_columns %},
        sum(levels.{{ column }}) as {{ column }}__total,
        max(case when levels.period_start = periods.last_month then levels.{{ column }} end)
            as {{ column }}__at_last,
        count(levels.{{ column }}) as {{ column }}__months
        {%- endfor %}

    from levels
    inner join periods
        on levels.organisation_code = periods.organisation_code
        and levels.period_start >= periods.period_start
        and levels.period_start <= periods.last_month
    group by
        levels.organisation_code, levels.team_code, levels.service_line, periods.grain,
        periods.period_start, periods.last_month

),

{#- the same, one row per level, period and measure the level had a value of in the period -#}
level_period_measures as (

    select * from (
        unpivot level_periods
        on {% for column in measure_columns -%}
            ({{ column }}__total, {{ column }}__at_last, {{ column }}__months) as {{ column }}
            {{- ', ' if not loop.last }}
        {%- endfor %}
        into name measure value total, at_last, months_with_value
    )
    where months_with_value > 0

),

{#- a period's measure needs every one of its months: the provider's value for each (a month
    whose extract was not sent has none, so a quarter missing a month's establishment has no
    WTE, rather than a rate per WTE over three months' contacts and two months' staff) -#}
complete as (

    select organisation_code, grain, period_start, measure
    from level_period_measures
    where team_code is null and service_line = 'all' and months_with_value = months

),

{#- a stock's mean is over the period's months: a level without a row in a month (a team that
    opened during the period, a band without staff that month) had none of it -#}
rolled as (

    select
        level_period_measures.organisation_code,
        level_period_measures.team_code,
        level_period_measures.service_line,
        level_period_measures.grain,
        level_period_measures.period_start,
        level_period_measures.last_month,
        level_period_measures.measure,
        case measures.aggregation
            when 'sum' then level_period_measures.total
            when 'mean' then level_period_measures.total / level_period_measures.months
            when 'last' then level_period_measures.at_last
        end as value

    from level_period_measures
    inner join measures on level_period_measures.measure = measures.measure
    inner join complete
        on level_period_measures.organisation_code = complete.organisation_code
        and level_period_measures.grain = complete.grain
        and level_period_measures.period_start = complete.period_start
        and level_period_measures.measure = complete.measure

),

{#- referrals of the period of the same length just before -#}
referral_growth as (

    select
        this.organisation_code,
        this.team_code,
        this.service_line,
        this.grain,
        this.period_start,
        this.last_month,
        before.value as previous,
        this.value - before.value as change

    from rolled as this
    inner join rolled as before
        on this.organisation_code = before.organisation_code
        and coalesce(this.team_code, '') = coalesce(before.team_code, '')
        and this.service_line = before.service_line
        and this.grain = before.grain
        and before.measure = 'referrals_received'
        and before.last_month = cast({{ dbt.dateadd(
            'month',
            "-case this.grain when 'quarter' then 3 when 'rolling_12_months' then 12 else 1 end",
            'this.last_month') }} as date)
    where this.measure = 'referrals_received'

),

{#- workforce stability: staff in post at the period's start (in its first month's
    establishment, started before it) and, of those, in post at the end of its last month: for
    a team (and a department, its teams summed) in the same team, for the provider anywhere in
    it (the NHS stability index: a move between teams is no loss to the organisation) -#}
staff_at_start as (

    select
        establishment.organisation_code,
        establishment.team_code,
        periods.grain,
        periods.period_start,
        periods.last_month,
        establishment.staff_pseudonym

    from establishment
    inner join periods
        on establishment.organisation_code = periods.organisation_code
        and establishment.period_start = periods.period_start
    inner join complete  -- the establishment of every month: its headcount in each
        on periods.organisation_code = complete.organisation_code
        and periods.grain = complete.grain
        and periods.period_start = complete.period_start
        and complete.measure = 'headcount'
    where establishment.staff_pseudonym is not null
        and establishment.start_date < periods.period_start

),

staff_at_end as (

    select organisation_code, team_code, period_start as last_month, staff_pseudonym
    from establishment
    where staff_pseudonym is not null
        and (leaving_date is null or leaving_date > {{ month_end('period_start') }})

),

team_stability as (

    select
        staff_at_start.organisation_code,
        staff_at_start.team_code,
        staff_at_start.grain,
        staff_at_start.period_start,
        staff_at_start.last_month,
        cast(count(*) as double) as staff_at_start,
        cast(count(staff_at_end.staff_pseudonym) as double) as staff_stayed

    from staff_at_start
    left join staff_at_end
        on staff_at_start.organisation_code = staff_at_end.organisation_code
        and staff_at_start.team_code = staff_at_end.team_code
        and staff_at_start.last_month = staff_at_end.last_month
        and staff_at_start.staff_pseudonym = staff_at_end.staff_pseudonym
    group by
        staff_at_start.organisation_code, staff_at_start.team_code, staff_at_start.grain,
        staff_at_start.period_start, staff_at_start.last_month

),

stability as (

    select
        organisation_code, team_code, 'all' as service_line, grain, period_start, last_month,
        staff_at_start, staff_stayed
    from team_stability

    union all

    select
        staff_at_start.organisation_code, cast(null as varchar), 'all', staff_at_start.grain,
        staff_at_start.period_start, staff_at_start.last_month,
        cast(count(distinct staff_at_start.staff_pseudonym) as double),
        cast(count(distinct case when staff_at_end.staff_pseudonym is not null
            then staff_at_start.staff_pseudonym end) as double)
    from staff_at_start
    left join staff_at_end
        on staff_at_start.organisation_code = staff_at_end.organisation_code
        and staff_at_start.last_month = staff_at_end.last_month
        and staff_at_start.staff_pseudonym = staff_at_end.staff_pseudonym
    group by
        staff_at_start.organisation_code, staff_at_start.grain, staff_at_start.period_start,
        staff_at_start.last_month

    union all

    select
        team_stability.organisation_code, cast(null as varchar), teams.department,
        team_stability.grain, team_stability.period_start, team_stability.last_month,
        sum(team_stability.staff_at_start), sum(team_stability.staff_stayed)
    from team_stability
    inner join teams
        on team_stability.organisation_code = teams.organisation_code
        and team_stability.team_code = teams.team_code
    group by
        team_stability.organisation_code, teams.department, team_stability.grain,
        team_stability.period_start, team_stability.last_month

),

whole_periods as (

    select
        organisation_code, team_code, service_line, grain, period_start, last_month,
        'referrals_received_previous' as measure, previous as value
    from referral_growth
    union all
    select
        organisation_code, team_code, service_line, grain, period_start, last_month,
        'referrals_received_change', change
    from referral_growth
    union all
    select
        organisation_code, team_code, service_line, grain, period_start, last_month,
        'staff_at_start', staff_at_start
    from stability
    union all
    select
        organisation_code, team_code, service_line, grain, period_start, last_month,
        'staff_stayed', staff_stayed
    from stability

),

unioned as (

    select * from rolled
    union all
    select * from whole_periods

)

select
    organisation_code,
    team_code,
    service_line,
    grain,
    period_start,
    {{ month_end('last_month') }} as period_end,
    measure,
    cast(value as double) as value

from unioned
where value is not null
