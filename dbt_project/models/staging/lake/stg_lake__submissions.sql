with

source as (

    {{ with_columns(source('lake', 'submissions'), {
        'dataset': 'varchar',
        'period': 'varchar',
        'source_file': 'varchar',
        'source_sha256': 'varchar',
        'submitter': 'varchar',
        'submitted_at': 'timestamp',
        'status': 'varchar',
        'rows': 'bigint',
        'violations': 'bigint',
        'first_error': 'varchar',
        'fingerprint': 'varchar',
    }) }}

),

renamed as (

    select
        -- ids
        dataset,
        period,
        source_file,
        submitter as organisation_code,

        -- text
        status,
        first_error,

        -- numbers
        cast(rows as bigint) as row_count,
        cast(violations as bigint) as violation_count,

        -- lineage
        source_sha256,
        fingerprint,

        -- timestamps
        cast(submitted_at as timestamp) as submitted_at

    from source

)

select * from renamed
