{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{#- Every base measure of the operational metrics (seeds/operational_measures.csv) per provider,
    team, month and slice, from the month's four extracts: the one pass over the big extracts
    (contacts, shifts), so everything after it reads a few rows per team. A slice is 'all' (the
    whole team), a band group (band_2_4, band_5, band_6, band_7_plus: the staff member's band in
    ESR, else on the roster) or an activity type (activity_wound_care ...); each measure is
    filled for the slices it is defined by (referrals by team only, contacts by band and activity,
    shifts and the establishment by band). Measures that are counts of distinct things (shift
    days, covered days) are counted within the slice, so a band's shift days add up to the
    team's. Stock measures (the establishment, the caseload) are the month's end. Incremental by
    the run's partition window (months). -#}

with

contacts as (

    select * from {{ ref('stg_provider__epr_contacts') }}
    where {{ in_partition_window('period_start', label='period') }}

),

shifts as (

    select * from {{ ref('stg_provider__eroster_shifts') }}
    where {{ in_partition_window('period_start', label='period') }}

),

establishment as (

    select * from {{ ref('stg_provider__esr_staff') }}
    where {{ in_partition_window('period_start', label='period') }}

),

referrals as (

    select * from {{ ref('stg_provider__epr_referrals') }}
    where {{ in_partition_window('period_start', label='period') }}

),

{#- a member of staff's band in the month: their ESR position's, else the band of the posts they
    worked on the roster (bank and agency staff are not in ESR) -#}
esr_bands as (

    select organisation_code, period_start, staff_pseudonym, max(band) as band
    from establishment
    where staff_pseudonym is not null
    group by organisation_code, period_start, staff_pseudonym

),

roster_bands as (

    select organisation_code, period_start, staff_pseudonym, max(band) as band
    from shifts
    where band is not null
    group by organisation_code, period_start, staff_pseudonym

),

staff_bands as (

    select
        coalesce(esr_bands.organisation_code, roster_bands.organisation_code)
            as organisation_code,
        coalesce(esr_bands.period_start, roster_bands.period_start) as period_start,
        coalesce(esr_bands.staff_pseudonym, roster_bands.staff_pseudonym) as staff_pseudonym,
        {{ band_group('coalesce(esr_bands.band, roster_bands.band)') }} as band_group

    from esr_bands
    full outer join roster_bands
        on esr_bands.organisation_code = roster_bands.organisation_code
        and esr_bands.period_start = roster_bands.period_start
        and esr_bands.staff_pseudonym = roster_bands.staff_pseudonym

),

{#- the contacts summed once per member of staff, by team, month and activity type: the one pass
    over the contacts (every contact measure is a count or a sum, in whole minutes until the
    roll-up, so every figure after it is exact). Their band is joined to these few rows, not to
    each contact. -#}
contact_staff_groups as (

    select
        organisation_code,
        team_code,
        period_start,
        staff_pseudonym,
        activity_type,
        count(*) as contacts_booked,
        {{ count_if("outcome = 'attended'") }} as contacts_attended,
        {{ count_if("outcome = 'dna'") }} as contacts_dna,
        {{ count_if("outcome = 'attended' and contact_type = 'F2F'") }} as contacts_attended_f2f,
        {{ count_if("outcome = 'attended' and contact_type = 'F2F' and location = 'home'") }}
            as visits,
        {{ count_if("outcome = 'attended' and contact_type = 'F2F' and location = 'clinic'") }}
            as clinic_contacts,
        {{ count_if("outcome = 'attended' and contact_type = 'F2F' and location = 'clinic'
                     and start_time >= '13:00'") }} as clinic_contacts_after_1pm,
        {{ sum_if("outcome = 'attended'", 'duration_minutes') }} as clinical_minutes,
        {{ sum_if("outcome = 'attended'", 'travel_minutes') }} as travel_minutes,
        {{ sum_if("outcome = 'attended'", 'interventions') }} as interventions,
        sum(duration_minutes) as booked_minutes,
        {{ sum_if("outcome <> 'attended'", 'duration_minutes') }} as lost_minutes,
        {{ count_if("outcome = 'attended' and activity_type in
                     ('insulin', 'venepuncture', 'continence', 'medication')") }}
            as delegable_contacts

    from contacts
    group by organisation_code, team_code, period_start, staff_pseudonym, activity_type

),

{#- then by band group: a few rows per team, which the slices are rolled up from -#}
contact_groups as (

    select
        groups.organisation_code,
        groups.team_code,
        groups.period_start,
        staff_bands.band_group,
        groups.activity_type,
        {%- for column in ['contacts_booked', 'contacts_attended', 'contacts_dna',
                           'contacts_attended_f2f', 'visits', 'clinic_contacts',
                           'clinic_contacts_after_1pm', 'clinical_minutes', 'travel_minutes',
                           'interventions', 'booked_minutes', 'lost_minutes',
                           'delegable_contacts'] %}
        sum(groups.{{ column }}) as {{ column }},
        {%- endfor %}
        {{ sum_if("staff_bands.band_group = 'band_2_4'", 'groups.delegable_contacts') }}
            as delegable_contacts_band_2_4,
        {{ sum_if("staff_bands.band_group = 'band_2_4'", 'groups.clinical_minutes') }}
            as clinical_minutes_band_2_4,
        {{ sum_if("staff_bands.band_group = 'band_7_plus'", 'groups.clinical_minutes') }}
            as clinical_minutes_band_7_plus

    from contact_staff_groups as groups
    left join staff_bands
        on groups.organisation_code = staff_bands.organisation_code
        and groups.period_start = staff_bands.period_start
        and groups.staff_pseudonym = staff_bands.staff_pseudonym
    group by
        groups.organisation_code,
        groups.team_code,
        groups.period_start,
        staff_bands.band_group,
        groups.activity_type

),

contact_measures as (

    select * from (
        select
            organisation_code,
            team_code,
            period_start,
            case
                when grouping(band_group) = 0 then band_group
                when grouping(activity_type) = 0 then 'activity_' || activity_type
                else 'all'
            end as slice,
            cast(sum(contacts_booked) as bigint) as contacts_booked,
            {%- for column in ['contacts_attended', 'contacts_dna', 'contacts_attended_f2f',
                               'visits', 'clinic_contacts', 'clinic_contacts_after_1pm'] %}
            sum({{ column }}) as {{ column }},
            {%- endfor %}
            sum(clinical_minutes) / 60.0 as clinical_hours,
            sum(travel_minutes) / 60.0 as travel_hours,
            sum(interventions) as interventions,
            sum(booked_minutes) / 60.0 as booked_hours,
            sum(lost_minutes) / 60.0 as lost_hours,
            sum(delegable_contacts) as delegable_contacts,
            sum(delegable_contacts_band_2_4) as delegable_contacts_band_2_4,
            sum(clinical_minutes_band_2_4) / 60.0 as clinical_hours_band_2_4,
            sum(clinical_minutes_band_7_plus) / 60.0 as clinical_hours_band_7_plus

        from contact_groups
        group by grouping sets (
            (organisation_code, team_code, period_start),
            (organisation_code, team_code, period_start, band_group),
            (organisation_code, team_code, period_start, activity_type)
        )
    ) as sliced
    where slice is not null  -- a band or activity the row has none of

),

shifts_banded as (

    select
        shifts.*,
        staff_bands.band_group,
        shifts.shift_type = 'clinical' as clinical,
        (shifts.duration_minutes - shifts.break_minutes) / 60.0 as worked_hours

    from shifts
    left join staff_bands
        on shifts.organisation_code = staff_bands.organisation_code
        and shifts.period_start = staff_bands.period_start
        and shifts.staff_pseudonym = staff_bands.staff_pseudonym

),

shift_measures as (

    select * from (
        select
            organisation_code,
            team_code,
            period_start,
            case when grouping(band_group) = 0 then band_group else 'all' end as slice,
            count(distinct case when clinical
                then staff_pseudonym || '|' || cast(shift_date as varchar) end)
                as clinical_shift_days,
            {{ sum_if('clinical', 'worked_hours') }} as clinical_shift_hours,
            sum(worked_hours) as shift_hours,
            {{ sum_if("employment_type in ('bank', 'agency')", 'worked_hours') }}
                as bank_agency_hours,
            {{ sum_if('is_overtime', 'worked_hours') }} as overtime_hours,
            {{ sum_if("clinical and band_group = 'band_2_4'", 'worked_hours') }}
                as shift_hours_band_2_4,
            count(distinct case when clinical then shift_date end) as covered_days,
            max({{ days_in_month('period_start') }}) as calendar_days

        from shifts_banded
        group by grouping sets (
            (organisation_code, team_code, period_start),
            (organisation_code, team_code, period_start, band_group)
        )
    ) as sliced
    where slice is not null  -- a band or activity the row has none of

),

{#- a position's budget once, however many rows it has (a leaver and the new assignment) -#}
positions as (

    select
        organisation_code,
        team_code,
        period_start,
        position_id,
        max(budgeted_wte) as budgeted_wte,
        bool_or(is_clinical) as is_clinical,
        {{ band_group('max(band)') }} as band_group

    from establishment
    group by organisation_code, team_code, period_start, position_id

),

assignments as (

    select
        establishment.*,
        {{ band_group('band') }} as band_group,
        {{ month_end('period_start') }} as month_end,
        staff_pseudonym is not null
            and start_date <= {{ month_end('period_start') }}
            and (leaving_date is null or leaving_date > {{ month_end('period_start') }})
            as in_post,
        {{ dbt.datediff(
            "greatest(start_date, period_start)",
            "least(coalesce(leaving_date, " ~ month_end('period_start') ~ "), "
                ~ month_end('period_start') ~ ")",
            'day') }} + 1 as days_in_post

    from establishment

),

assignment_measures as (

    select * from (
        select
            organisation_code,
            team_code,
            period_start,
            case when grouping(band_group) = 0 then band_group else 'all' end as slice,
            {{ sum_if('in_post', 'wte') }} as wte_in_post,
            {{ sum_if('in_post and is_clinical', 'wte') }} as clinical_wte,
            {{ sum_if("in_post and is_clinical and band_group <> 'band_2_4'", 'wte') }}
                as registered_clinical_wte,
            {{ sum_if("in_post and is_clinical and band_group = 'band_2_4'", 'wte') }}
                as unregistered_clinical_wte,
            {{ count_if('in_post') }} as headcount,
            {{ count_if('in_post and is_clinical') }} as clinical_headcount_months,
            {{ sum_if('staff_pseudonym is not null and days_in_post > 0', 'wte * days_in_post') }}
                as available_fte_days,
            sum(sickness_absence_days) as sickness_fte_days,
            {{ count_if('leaving_date >= period_start and leaving_date <= month_end') }} as leavers,
            {{ sum_if('in_post and is_clinical',
                      'wte * 37.5 / 7 * ' ~ days_in_month('period_start')) }}
                as contracted_clinical_hours

        from assignments
        group by grouping sets (
            (organisation_code, team_code, period_start),
            (organisation_code, team_code, period_start, band_group)
        )
    ) as sliced
    where slice is not null  -- a band or activity the row has none of

),

position_measures as (

    select * from (
        select
            organisation_code,
            team_code,
            period_start,
            case when grouping(band_group) = 0 then band_group else 'all' end as slice,
            sum(budgeted_wte) as budgeted_wte,
            {{ sum_if('is_clinical', 'budgeted_wte') }} as clinical_budgeted_wte

        from positions
        group by grouping sets (
            (organisation_code, team_code, period_start),
            (organisation_code, team_code, period_start, band_group)
        )
    ) as sliced
    where slice is not null  -- a band or activity the row has none of

),

attended_patients as (

    select distinct organisation_code, team_code, period_start, patient_pseudonym
    from contacts
    where outcome = 'attended'

),

referral_states as (

    select
        referrals.*,
        cast(received_at as date) as received_on,
        {{ month_end('referrals.period_start') }} as month_end,
        accepted_on is not null and first_contact_at is not null and discharged_on is null
            as on_caseload,
        accepted_on is not null and first_contact_at is null and discharged_on is null
            as waiting,
        first_contact_at >= referrals.period_start as first_seen,
        {{ dbt.datediff('received_at', 'first_contact_at', 'minute') }} as minutes_to_first_contact,
        attended_patients.patient_pseudonym is not null as seen_this_month

    from referrals
    left join attended_patients
        on referrals.organisation_code = attended_patients.organisation_code
        and referrals.team_code = attended_patients.team_code
        and referrals.period_start = attended_patients.period_start
        and referrals.patient_pseudonym = attended_patients.patient_pseudonym

),

referral_measures as (

    select
        organisation_code,
        team_code,
        period_start,
        'all' as slice,
        {{ count_if('received_on >= period_start') }} as referrals_received,
        {{ count_if("received_on >= period_start and priority = 'urgent'") }}
            as referrals_urgent,
        {{ count_if("received_on >= period_start and referral_source = 'gp'") }}
            as referrals_from_gp,
        {{ count_if('accepted_on >= period_start
                     or (accepted_on is null and discharged_on >= period_start)') }}
            as referrals_triaged,
        {{ count_if('accepted_on >= period_start') }} as referrals_accepted,
        {{ sum_if('accepted_on >= period_start',
                  dbt.datediff('received_on', 'accepted_on', 'day')) }} as days_to_acceptance,
        {{ count_if('discharged_on >= period_start and accepted_on is not null') }}
            as discharges,
        {{ sum_if('discharged_on >= period_start and accepted_on is not null',
                  dbt.datediff('received_on', 'discharged_on', 'day')) }}
            as referral_days_at_discharge,
        {{ count_if('first_seen') }} as first_contacts,
        {{ sum_if('first_seen', 'minutes_to_first_contact') }} / 1440.0 as days_to_first_contact,
        {{ count_if('first_seen and minutes_to_first_contact <= 126 * 1440') }}
            as first_contacts_within_18_weeks,
        {{ count_if("first_seen and priority = 'urgent'") }} as urgent_first_contacts,
        {{ count_if("first_seen and priority = 'urgent' and minutes_to_first_contact <= 120") }}
            as urgent_first_contacts_within_2_hours,
        {{ count_if('first_seen and accepted_on is not null') }} as accepted_first_contacts,
        {{ count_if('first_seen and accepted_on is not null and '
                    ~ dbt.datediff('accepted_on', 'cast(first_contact_at as date)', 'day')
                    ~ ' <= 14') }} as first_contacts_within_14_days,
        {{ count_if('on_caseload') }} as caseload,
        {{ count_if('on_caseload') }} as caseload_end,
        {{ count_if('on_caseload') }} as caseload_months,
        {{ count_if('on_caseload and seen_this_month') }} as caseload_reviewed,
        {{ count_if('waiting') }} as waiting_list,
        {{ count_if('waiting') }} as waiting_list_end,
        {{ count_if('waiting and ' ~ dbt.datediff('received_on', 'month_end', 'day') ~ ' < 126') }}
            as waiting_under_18_weeks

    from referral_states
    group by organisation_code, team_code, period_start

),

{#- which extracts each provider sent for the month: a team without rows in a sent extract
    counts 0 of its measures, one in an extract not sent has none. Read from the measures (every
    row of an extract is in its team's 'all' row), not the extracts again. -#}
sent as (

    select
        organisation_code,
        period_start,
        max(case when extract = 'contacts' then 1 else 0 end) = 1 as has_contacts,
        max(case when extract = 'shifts' then 1 else 0 end) = 1 as has_shifts,
        max(case when extract = 'establishment' then 1 else 0 end) = 1 as has_establishment,
        max(case when extract = 'referrals' then 1 else 0 end) = 1 as has_referrals

    from (
        select distinct organisation_code, period_start, 'contacts' as extract
        from contact_groups
        union all
        select distinct organisation_code, period_start, 'shifts' from shift_measures
        union all
        select distinct organisation_code, period_start, 'establishment'
        from assignment_measures
        union all
        select distinct organisation_code, period_start, 'referrals' from referral_measures
    ) as extracts
    group by organisation_code, period_start

),

keys as (

    select organisation_code, team_code, period_start, slice from contact_measures
    union
    select organisation_code, team_code, period_start, slice from shift_measures
    union
    select organisation_code, team_code, period_start, slice from assignment_measures
    union
    select organisation_code, team_code, period_start, slice from position_measures
    union
    select organisation_code, team_code, period_start, slice from referral_measures

),

{%- set from_contacts = [
    'contacts_booked', 'contacts_attended', 'contacts_dna', 'contacts_attended_f2f', 'visits',
    'clinic_contacts', 'clinic_contacts_after_1pm', 'clinical_hours', 'travel_hours',
    'interventions', 'booked_hours', 'lost_hours', 'delegable_contacts',
    'delegable_contacts_band_2_4', 'clinical_hours_band_2_4', 'clinical_hours_band_7_plus'] %}
{%- set from_shifts = [
    'clinical_shift_days', 'clinical_shift_hours', 'shift_hours', 'bank_agency_hours',
    'overtime_hours', 'shift_hours_band_2_4'] %}
{%- set from_assignments = [
    'wte_in_post', 'clinical_wte', 'registered_clinical_wte', 'unregistered_clinical_wte',
    'headcount', 'clinical_headcount_months', 'available_fte_days', 'sickness_fte_days',
    'leavers', 'contracted_clinical_hours'] %}
{%- set from_positions = ['budgeted_wte', 'clinical_budgeted_wte'] %}
{%- set from_referrals = [
    'referrals_received', 'referrals_urgent', 'referrals_from_gp', 'referrals_triaged',
    'referrals_accepted', 'days_to_acceptance', 'discharges', 'referral_days_at_discharge',
    'first_contacts', 'days_to_first_contact', 'first_contacts_within_18_weeks',
    'urgent_first_contacts', 'urgent_first_contacts_within_2_hours', 'accepted_first_contacts',
    'first_contacts_within_14_days', 'caseload', 'caseload_end', 'caseload_months',
    'caseload_reviewed', 'waiting_list', 'waiting_list_end', 'waiting_under_18_weeks'] %}

joined as (

    select
        keys.organisation_code,
        keys.team_code,
        keys.period_start,
        keys.slice,
        {%- for column in from_contacts %}
        case when sent.has_contacts then coalesce(c.{{ column }}, 0) end as {{ column }},
        {%- endfor %}
        case when sent.has_contacts then coalesce(w.contacts_attended, 0) end
            as whole_contacts_attended,
        case when sent.has_contacts then coalesce(w.clinical_hours, 0) end
            as whole_clinical_hours,
        {%- for column in from_shifts %}
        case when sent.has_shifts then coalesce(s.{{ column }}, 0) end as {{ column }},
        {%- endfor %}
        case when sent.has_shifts and keys.slice = 'all' then coalesce(s.covered_days, 0) end
            as covered_days,
        case when sent.has_shifts and keys.slice = 'all'
            then {{ days_in_month('keys.period_start') }} end as calendar_days,
        {%- for column in from_assignments %}
        case when sent.has_establishment then coalesce(a.{{ column }}, 0) end as {{ column }},
        {%- endfor %}
        {%- for column in from_positions %}
        case when sent.has_establishment then coalesce(p.{{ column }}, 0) end as {{ column }},
        {%- endfor %}
        case when sent.has_establishment then
            greatest(coalesce(p.budgeted_wte, 0) - coalesce(a.wte_in_post, 0), 0)
        end as vacant_wte,
        case when sent.has_establishment then coalesce(a.clinical_wte, 0) end
            as clinical_wte_months,
        case when sent.has_establishment and keys.slice = 'all' then
            case when a.wte_in_post > 0 then 1 else 0 end
        end as teams,
        {%- for column in from_referrals %}
        case when sent.has_referrals and keys.slice = 'all' then coalesce(r.{{ column }}, 0) end
            as {{ column }},
        {%- endfor %}
        case when sent.has_referrals and sent.has_contacts and keys.slice = 'all' then
            greatest(coalesce(c.contacts_attended, 0) - coalesce(r.first_contacts, 0), 0)
        end as follow_up_contacts

    from keys
    inner join sent
        on keys.organisation_code = sent.organisation_code
        and keys.period_start = sent.period_start
    left join contact_measures as c
        on keys.organisation_code = c.organisation_code and keys.team_code = c.team_code
        and keys.period_start = c.period_start and keys.slice = c.slice
    left join contact_measures as w
        on keys.organisation_code = w.organisation_code and keys.team_code = w.team_code
        and keys.period_start = w.period_start and w.slice = 'all'
    left join shift_measures as s
        on keys.organisation_code = s.organisation_code and keys.team_code = s.team_code
        and keys.period_start = s.period_start and keys.slice = s.slice
    left join assignment_measures as a
        on keys.organisation_code = a.organisation_code and keys.team_code = a.team_code
        and keys.period_start = a.period_start and keys.slice = a.slice
    left join position_measures as p
        on keys.organisation_code = p.organisation_code and keys.team_code = p.team_code
        and keys.period_start = p.period_start and keys.slice = p.slice
    left join referral_measures as r
        on keys.organisation_code = r.organisation_code and keys.team_code = r.team_code
        and keys.period_start = r.period_start and keys.slice = r.slice

),

{#- measures made of the others, within the slice and month -#}
derived as (

    select
        joined.*,
        contacts_attended + contacts_dna as attended_or_dna,
        clinical_hours + travel_hours as delivery_hours,
        greatest(clinical_shift_hours - clinical_hours - travel_hours, 0) as indirect_hours,
        greatest(clinical_shift_hours - clinical_hours, 0) as non_clinical_hours

    from joined

)

select * from derived
