{{ ods_organisations('ods_gp_practices', ['commissioner_code', 'status_code', 'prescribing_setting']) }}
