{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ clear_partition_window() }}",
    )
}}

{{ latest_submitted_returns(ref('stg_indicators__mhlda_returns'), 'mhlda') }}
