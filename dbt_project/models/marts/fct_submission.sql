{#- Every landing file the lake was built from, with the collection window it was submitted to and
    whether it arrived after that window closed (the rule fct_metric_value flags values by). -#}

with

submissions as (

    select * from {{ ref('stg_lake__submissions') }}

),

windows as (

    select * from {{ ref('stg_reference__collection_windows') }}

),

window_deadlines as (

    select distinct collection, window_period, window_closes_on
    from windows

),

described as (

    select
        md5(
            submissions.dataset || '|' || submissions.period || '|' || submissions.source_file
        ) as submission_id,
        submissions.dataset,
        submissions.collection,
        submissions.period,
        submissions.organisation_code,
        submissions.source_file,
        submissions.status,
        submissions.row_count,
        submissions.violation_count,
        submissions.first_error,
        submissions.submitted_at,
        window_deadlines.window_closes_on,
        cast(submissions.submitted_at as date) > window_deadlines.window_closes_on
            as submitted_late,
        submissions.source_sha256

    from submissions
    left join window_deadlines
        on submissions.collection = window_deadlines.collection
        and submissions.period = window_deadlines.window_period

)

select * from described
