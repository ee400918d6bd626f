{#- The rows of each organisation's latest return for each period in the run's window. The lake
    holds only the return that counts per organisation and period (the ingest records the
    superseded ones in lake/submissions/), so this selects the window and shapes the columns. -#}
{% macro latest_submitted_returns(returns, collection) %}

with

returns as (

    select * from {{ returns }}
    where {{ in_partition_window('period_start') }}

)

{{ provider_metric_values(collection, 'returns', 'service_line') }}

{% endmacro %}
