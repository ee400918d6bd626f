{#- One row per month that holds a value, with its calendar and NHS financial year attributes
    (the financial year runs April to March; quarter 1 is April to June). -#}

with

months as (

    select distinct period_start from {{ ref('fct_metric_value') }}

),

parts as (

    select
        period_start,
        cast(extract(year from period_start) as integer) as calendar_year,
        cast(extract(month from period_start) as integer) as calendar_month

    from months

),

financial as (

    select
        *,
        case when calendar_month >= 4 then calendar_year else calendar_year - 1 end
            as financial_year_start,
        cast(floor(mod(calendar_month + 8, 12) / 3) + 1 as integer) as financial_quarter

    from parts

),

labelled as (

    select
        period_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'period_start')) }} as date)
            as period_end,
        cast(calendar_year as varchar) || '-' || lpad(cast(calendar_month as varchar), 2, '0')
            as period_label,
        calendar_year,
        calendar_month,
        cast(financial_year_start as varchar) || '-'
        || lpad(cast(mod(financial_year_start + 1, 100) as varchar), 2, '0') as financial_year,
        financial_quarter,
        cast(financial_year_start as varchar) || '-'
        || lpad(cast(mod(financial_year_start + 1, 100) as varchar), 2, '0')
        || '-Q' || cast(financial_quarter as varchar) as financial_quarter_label

    from financial

)

select * from labelled
