{{ ods_organisations('ods_independent_providers') }}
