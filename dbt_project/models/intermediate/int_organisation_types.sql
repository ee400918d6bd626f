{#- Every organisation the mart knows (register members, providers named in national data and
    the successors that now carry them) with its type, region and name, each from the first
    evidence that tells it (the precedence README.md states):

    type: 1 the register's declared type; 2 ambulance_trust: an ODS name with AMBULANCE in it;
    3 acute_trust: type 1 A&E attendances (in the code's latest twelve months of A&E data); 4 walk_in_centre: A&E attendances of type 3 only,
    and not an NHS trust; 5 gp_practice or walk_in_centre: ODS's GP practices file (epraccur),
    by prescribing setting; 6 independent_sector: ODS's independent providers file (ephp);
    7 acute_trust: an NHS trust (ODS etr) with cancer waits or type 2 attendances; 8
    mental_health_trust: an NHS trust in MHSDS without type 1 or 2 attendances or cancer waits;
    9 community_provider: an NHS trust with type 3 attendances only, not in MHSDS; 10 other.
    region: the register's; ODS's national grouping (etr, ephp, epraccur) where it is an NHS
    England region; the region of the latest A&E parent organisation.
    name: the register's; the latest national data's; ODS's; the code.

    A successor's evidence is its own and its predecessors' (their series are its series). -#}

with

registered as (

    select * from {{ ref('stg_reference__organisations') }}

),

national as (

    select * from {{ ref('int_national_organisations') }}

),

successors as (

    select * from {{ ref('int_organisation_successors') }}

),

trusts as (

    select * from {{ ref('stg_ods__trusts') }}

),

independent_providers as (

    select * from {{ ref('stg_ods__independent_providers') }}

),

practices as (

    select * from {{ ref('stg_ods__gp_practices') }}

),

regions as (

    select * from {{ ref('nhs_regions') }}

),

{#- each national row under its own code and under the successor that carries it now -#}
carried as (

    select national.*, national.organisation_code as carried_by from national

    union all

    select national.*, successors.successor_code as carried_by
    from national
    inner join successors on national.organisation_code = successors.predecessor_code

),

evidence as (

    select
        carried_by as organisation_code,
        any_value(organisation_name) filter (where organisation_code = carried_by)
            as national_name,
        arg_max(region_code, last_period_start) filter (where region_code is not null)
            as ae_region_code,
        sum(type1_attendances) as type1_attendances,
        sum(type2_attendances) as type2_attendances,
        sum(other_attendances) as other_attendances,
        bool_or(in_mhsds) as in_mhsds,
        bool_or(in_cancer_waits) as in_cancer_waits

    from carried
    group by carried_by

),

organisations as (

    select
        coalesce(registered.organisation_code, evidence.organisation_code) as organisation_code,
        registered.organisation_code is not null as registered,
        registered.organisation_name as registered_name,
        registered.organisation_type as registered_type,
        registered.region_code as registered_region_code,
        registered.region_name as registered_region_name,
        evidence.* exclude (organisation_code)

    from registered
    full outer join evidence on registered.organisation_code = evidence.organisation_code

),

with_ods as (

    select
        organisations.*,
        trusts.organisation_code is not null as nhs_trust,
        practices.prescribing_setting,
        independent_providers.organisation_code is not null as independent_provider,
        coalesce(trusts.organisation_name, independent_providers.organisation_name,
            practices.organisation_name) as ods_name,
        coalesce(trusts.region_code, independent_providers.region_code, practices.region_code)
            as ods_region_code,
        coalesce(organisations.type1_attendances, 0) > 0 as has_type1,
        coalesce(organisations.type2_attendances, 0) > 0 as has_type2,
        coalesce(organisations.other_attendances, 0) > 0 as has_other

    from organisations
    left join trusts on organisations.organisation_code = trusts.organisation_code
    left join independent_providers
        on organisations.organisation_code = independent_providers.organisation_code
    left join practices on organisations.organisation_code = practices.organisation_code

),

typed as (

    select
        *,
        case
            when registered then 'register'
            when upper(coalesce(ods_name, national_name)) like '%AMBULANCE%'
                then 'ods_name_ambulance'
            when has_type1 then 'ae_type1_attendances'
            when has_other and not has_type2 and not nhs_trust then 'ae_type3_only'
            when prescribing_setting = '4' then 'ods_gp_practice'
            when prescribing_setting in ('1', '3', '12') then 'ods_walk_in_practice'
            when independent_provider then 'ods_independent_provider'
            when nhs_trust and (coalesce(in_cancer_waits, false) or has_type2)
                then 'nhs_trust_cancer_or_type2'
            when nhs_trust and coalesce(in_mhsds, false) then 'nhs_trust_mhsds'
            when nhs_trust and has_other then 'nhs_trust_type3_only'
            else 'none'
        end as organisation_type_evidence

    from with_ods

)

select
    typed.organisation_code,
    coalesce(typed.registered_name, typed.national_name, typed.ods_name, typed.organisation_code)
        as organisation_name,
    case typed.organisation_type_evidence
        when 'register' then typed.registered_type
        when 'ods_name_ambulance' then 'ambulance_trust'
        when 'ae_type1_attendances' then 'acute_trust'
        when 'ae_type3_only' then 'walk_in_centre'
        when 'ods_gp_practice' then 'gp_practice'
        when 'ods_walk_in_practice' then 'walk_in_centre'
        when 'ods_independent_provider' then 'independent_sector'
        when 'nhs_trust_cancer_or_type2' then 'acute_trust'
        when 'nhs_trust_mhsds' then 'mental_health_trust'
        when 'nhs_trust_type3_only' then 'community_provider'
        else 'other'
    end as organisation_type,
    typed.organisation_type_evidence,
    coalesce(typed.registered_region_code, ods_regions.region_code, ae_regions.region_code)
        as region_code,
    coalesce(typed.registered_region_name, ods_regions.region_name, ae_regions.region_name)
        as region_name,
    case when typed.registered then 'register' else 'national_data' end as known_from

from typed
left join regions as ods_regions on typed.ods_region_code = ods_regions.region_code
left join regions as ae_regions on typed.ae_region_code = ae_regions.region_code
