{{ ods_organisations('ods_trusts') }}
