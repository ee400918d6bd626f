{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- The operational metrics per team and per provider, from the month's two extracts. A provider's
    row sums its teams' numerators and denominators (it never averages team values). Each provider
    sends one extract of each kind a month, so the lineage of a provider and month is one file. -#}

with

contacts as (

    select * from {{ ref('stg_provider__epr_contacts') }}
    where {{ in_partition_window('period_start') }}

),

shifts as (

    select * from {{ ref('stg_provider__eroster_shifts') }}
    where {{ in_partition_window('period_start') }}

),

contact_extracts as (

    select distinct organisation_code, period_start, source_file, source_sha256, submitted_at
    from contacts

),

shift_extracts as (

    select distinct organisation_code, period_start, source_file, source_sha256, submitted_at
    from shifts

),

team_contacts as (

    select
        organisation_code,
        team_code,
        period_start,
        count(*) as booked,
        sum(case when outcome = 'attended' then 1 else 0 end) as attended,
        sum(case when outcome = 'dna' then 1 else 0 end) as did_not_attend,
        sum(
            case when outcome = 'attended' and contact_type = 'F2F' then 1 else 0 end
        ) as attended_face_to_face,
        sum(
            case
                when outcome = 'attended' and contact_type = 'F2F' and location = 'home' then 1
                else 0
            end
        ) as attended_at_home

    from contacts
    group by organisation_code, team_code, period_start

),

clinical_shift_days as (

    -- a shift day is one clinician working on one day, however many shifts they work that day
    select distinct organisation_code, team_code, period_start, staff_pseudonym, shift_date
    from shifts
    where staff_group = 'clinical'

),

team_shift_days as (

    select organisation_code, team_code, period_start, count(*) as clinical_shift_days
    from clinical_shift_days
    group by organisation_code, team_code, period_start

),

teams as (

    select
        coalesce(c.organisation_code, s.organisation_code) as organisation_code,
        coalesce(c.team_code, s.team_code) as team_code,
        coalesce(c.period_start, s.period_start) as period_start,
        coalesce(c.booked, 0) as booked,
        coalesce(c.attended, 0) as attended,
        coalesce(c.did_not_attend, 0) as did_not_attend,
        coalesce(c.attended_face_to_face, 0) as attended_face_to_face,
        coalesce(c.attended_at_home, 0) as attended_at_home,
        coalesce(s.clinical_shift_days, 0) as clinical_shift_days

    from team_contacts as c
    full outer join team_shift_days as s
        on c.organisation_code = s.organisation_code
        and c.team_code = s.team_code
        and c.period_start = s.period_start

),

levels as (

    select * from teams

    union all

    select
        organisation_code,
        cast(null as varchar) as team_code,
        period_start,
        sum(booked) as booked,
        sum(attended) as attended,
        sum(did_not_attend) as did_not_attend,
        sum(attended_face_to_face) as attended_face_to_face,
        sum(attended_at_home) as attended_at_home,
        sum(clinical_shift_days) as clinical_shift_days

    from teams
    group by organisation_code, period_start

),

contact_levels as (

    -- every team that booked contacts, and every provider, with its contacts extract
    select
        levels.*,
        lineage.source_file,
        lineage.source_sha256,
        lineage.submitted_at

    from levels
    inner join contact_extracts as lineage
        on levels.organisation_code = lineage.organisation_code
        and levels.period_start = lineage.period_start
    where levels.booked > 0

),

dna_rate as (

    select
        'OP_DNA_RATE' as metric_code,
        organisation_code,
        team_code,
        period_start,
        did_not_attend as numerator,
        attended + did_not_attend as denominator,
        source_file,
        source_sha256,
        submitted_at

    from contact_levels

),

home_visit_share as (

    select
        'OP_HOME_VISIT_SHARE' as metric_code,
        organisation_code,
        team_code,
        period_start,
        attended_at_home as numerator,
        attended_face_to_face as denominator,
        source_file,
        source_sha256,
        submitted_at

    from contact_levels

),

contacts_per_shift_day as (

    -- needs both extracts: a provider missing either has no value rather than a wrong one;
    -- the lineage names both files and both hashes, in that order
    select
        'OP_CONTACTS_PER_SHIFT_DAY' as metric_code,
        levels.organisation_code,
        levels.team_code,
        levels.period_start,
        levels.attended as numerator,
        levels.clinical_shift_days as denominator,
        c.source_file || ' + ' || s.source_file as source_file,
        c.source_sha256 || ' + ' || s.source_sha256 as source_sha256,
        greatest(c.submitted_at, s.submitted_at) as submitted_at

    from levels
    inner join contact_extracts as c
        on levels.organisation_code = c.organisation_code
        and levels.period_start = c.period_start
    inner join shift_extracts as s
        on levels.organisation_code = s.organisation_code
        and levels.period_start = s.period_start

),

metric_values as (

    select * from dna_rate
    union all
    select * from home_visit_share
    union all
    select * from contacts_per_shift_day

)

select
    'operational' as collection,
    metric_code,
    organisation_code,
    organisation_code as reported_organisation_codes,
    team_code,
    'all' as service_line,
    cast(period_start as date) as period_start,
    cast(numerator as double) as numerator,
    cast(denominator as double) as denominator,
    cast(source_file as varchar) as source_file,
    cast(source_sha256 as varchar) as source_sha256,
    cast(submitted_at as timestamp) as submitted_at

from metric_values
