{#- Every row satisfies an arithmetic rule (what dbt_utils.expression_is_true offers). -#}
{% test expression_is_true(model, expression) %}

select * from {{ model }} where not ({{ expression }})

{% endtest %}
