{#- The operational metrics (the catalogue's 'operational' collection) per team, provider,
    department, band group and activity type, per month, NHS quarter and rolling 12 months: each
    metric's numerator and denominator are the base measures the catalogue names
    (numerator_measure, denominator_measure), so a metric is added by a catalogue row over the
    measures of int_operational_measures. A team's values are for the team as a whole; the
    slices (service_line) are the provider's. A ratio needs its denominator's extract: a provider
    that sent no establishment has no rate per WTE rather than a wrong one. The lineage of a
    value is the provider's extract files of the period's months and its team register: one
    source_file naming the folder and months, and a digest of the files' SHA-256. -#}

with

measures as (

    select * from {{ ref('int_operational_measures') }}

),

metrics as (

    select * from {{ ref('metric_catalogue') }}
    where collection = 'operational'

),

files as (

    select organisation_code, period_start, source_file, source_sha256, submitted_at
    from {{ ref('int_operational_files') }}

),

registers as (

    select distinct organisation_code, source_file, source_sha256, submitted_at
    from {{ ref('stg_provider_registers__teams') }}

),

periods as (

    select distinct organisation_code, grain, period_start, period_end from measures

),

lineage as (

    select
        periods.organisation_code,
        periods.grain,
        periods.period_start,
        'operational/' || periods.organisation_code || '/'
            || substr(cast(periods.period_start as varchar), 1, 7)
            || case when periods.grain = 'month' then ''
                else '..' || substr(cast(periods.period_end as varchar), 1, 7) end
            || '/' as source_file,
        md5({{ dbt.listagg('period_files.source_sha256', "','", 'order by period_files.source_file') }})
            as source_sha256,
        max(period_files.submitted_at) as submitted_at

    from periods
    inner join (
        select files.organisation_code, files.period_start as month, files.source_file,
            files.source_sha256, files.submitted_at
        from files
        union all
        select registers.organisation_code, null, registers.source_file,
            registers.source_sha256, registers.submitted_at
        from registers
    ) as period_files
        on periods.organisation_code = period_files.organisation_code
        and (period_files.month is null
            or (period_files.month >= periods.period_start
                and period_files.month <= periods.period_end))
    group by periods.organisation_code, periods.grain, periods.period_start, periods.period_end

),

valued as (

    select
        metrics.metric_code,
        numerators.organisation_code,
        numerators.team_code,
        numerators.service_line,
        numerators.grain,
        numerators.period_start,
        numerators.period_end,
        numerators.value as numerator,
        denominators.value as denominator

    from metrics
    inner join measures as numerators
        on numerators.measure = metrics.numerator_measure
        and '|' || metrics.service_lines || '|' like '%|' || numerators.service_line || '|%'
    left join measures as denominators
        on denominators.measure = metrics.denominator_measure
        and numerators.organisation_code = denominators.organisation_code
        and coalesce(numerators.team_code, '') = coalesce(denominators.team_code, '')
        and numerators.service_line = denominators.service_line
        and numerators.grain = denominators.grain
        and numerators.period_start = denominators.period_start
    where metrics.aggregation <> 'ratio' or denominators.value is not null

)

select
    'operational' as collection,
    valued.metric_code,
    valued.organisation_code,
    valued.organisation_code as reported_organisation_codes,
    valued.team_code,
    valued.service_line,
    cast(valued.period_start as date) as period_start,
    cast(valued.numerator as double) as numerator,
    cast(valued.denominator as double) as denominator,
    cast(lineage.source_file as varchar) as source_file,
    cast(lineage.source_sha256 as varchar) as source_sha256,
    cast(lineage.submitted_at as timestamp) as submitted_at,
    valued.grain,
    cast(valued.period_end as date) as period_end

from valued
inner join lineage
    on valued.organisation_code = lineage.organisation_code
    and valued.grain = lineage.grain
    and valued.period_start = lineage.period_start
