with

metrics as (

    select * from {{ ref('metric_catalogue') }}

),

collections as (

    select * from {{ ref('collection_calendar') }}

),

described as (

    select
        metrics.metric_code,
        metrics.metric_name,
        metrics.collection,
        collections.collection_name,
        metrics.domain,
        metrics.unit,
        metrics.polarity,
        cast(metrics.multiplier as double) as multiplier,
        metrics.aggregation,
        metrics.interval,
        metrics.numerator_definition,
        metrics.denominator_definition,
        cast(metrics.plausible_min as double) as plausible_min,
        cast(metrics.plausible_max as double) as plausible_max,
        metrics.service_lines,
        metrics.source,
        metrics.guidance,
        metrics.numerator_measure,
        metrics.denominator_measure

    from metrics
    left join collections on metrics.collection = collections.collection

)

select * from described
