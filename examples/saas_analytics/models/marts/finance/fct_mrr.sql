{{
    config(
        materialized='incremental',
        unique_key='mrr_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

-- Monthly recurring revenue per account and month, with the MRR movement of the month.
-- A subscription counts towards a month when it is running on the last day of that month.

with subscriptions as (

    select * from {{ ref('fct_subscriptions') }}

),

bounds as (

    select
        cast(date_trunc('month', min(started_at)) as date)                       as first_month,
        cast(date_trunc('month', date '{{ var("as_of_date") }}') as date)         as last_month
    from subscriptions

),

months as (

    select cast(unnest(generate_series(first_month, last_month, interval 1 month)) as date) as mrr_month
    from bounds

),

account_first_month as (

    select
        account_id,
        cast(date_trunc('month', min(started_at)) as date) as first_month
    from subscriptions
    group by 1

),

account_months as (

    select
        account_first_month.account_id,
        months.mrr_month
    from account_first_month
    inner join months
        on months.mrr_month >= account_first_month.first_month

),

mrr_by_month as (

    select
        account_months.account_id,
        account_months.mrr_month,
        cast(coalesce(sum(subscriptions.mrr_amount), 0) as decimal(18, 2))  as mrr_amount,
        arg_max(subscriptions.plan_name, subscriptions.mrr_amount)          as plan_name
    from account_months
    left join subscriptions
        on subscriptions.account_id = account_months.account_id
        and subscriptions.started_at < account_months.mrr_month + interval 1 month
        and (
            subscriptions.ended_at is null
            or subscriptions.ended_at >= account_months.mrr_month + interval 1 month
        )
    group by 1, 2

),

with_history as (

    select
        *,
        lag(mrr_amount, 1, 0) over (
            partition by account_id order by mrr_month
        ) as previous_mrr_amount,
        coalesce(sum(case when mrr_amount > 0 then 1 else 0 end) over (
            partition by account_id order by mrr_month
            rows between unbounded preceding and 1 preceding
        ), 0) as prior_paying_months
    from mrr_by_month

),

classified as (

    select
        concat(cast(account_id as varchar), '-', strftime(mrr_month, '%Y-%m')) as mrr_id,
        account_id,
        mrr_month,
        plan_name,
        mrr_amount,
        previous_mrr_amount,
        mrr_amount - previous_mrr_amount as mrr_change,
        case
            when previous_mrr_amount = 0 and mrr_amount > 0 and prior_paying_months = 0 then 'new'
            when previous_mrr_amount = 0 and mrr_amount > 0 then 'reactivation'
            when previous_mrr_amount > 0 and mrr_amount = 0 then 'churn'
            when mrr_amount > previous_mrr_amount then 'expansion'
            when mrr_amount < previous_mrr_amount then 'contraction'
            else 'flat'
        end as mrr_movement
    from with_history
    where mrr_amount > 0 or previous_mrr_amount > 0

)

select * from classified

{% if is_incremental() %}
-- only rebuild the last two months; older months are closed
where mrr_month >= (select max(mrr_month) from {{ this }}) - interval 1 month
{% endif %}
