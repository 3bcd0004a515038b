-- Monthly churn per account: one row per account and month in which the account paid
-- at the start of the month (or churned during it).

with mrr as (

    select * from {{ ref('fct_mrr') }}

),

tickets as (

    select account_id, created_at from {{ ref('stg_support_tickets') }}

),

monthly as (

    select
        mrr_id                                               as churn_id,
        account_id,
        mrr_month                                            as churn_month,
        plan_name,
        previous_mrr_amount > 0                              as was_active_at_start,
        mrr_movement = 'churn'                               as is_churned,
        case when mrr_movement = 'churn' then previous_mrr_amount else 0 end as churned_mrr_amount,
        sum(case when mrr_amount > 0 or mrr_movement = 'churn' then 1 else 0 end) over (
            partition by account_id order by mrr_month
            rows between unbounded preceding and current row
        )                                                    as tenure_months
    from mrr

),

ticket_counts as (

    select
        monthly.churn_id,
        count(tickets.account_id) as tickets_prior_90d
    from monthly
    left join tickets
        on tickets.account_id = monthly.account_id
        and tickets.created_at >= monthly.churn_month - interval 90 day
        and tickets.created_at < monthly.churn_month + interval 1 month
    group by 1

)

select
    monthly.churn_id,
    monthly.account_id,
    monthly.churn_month,
    monthly.plan_name,
    monthly.was_active_at_start,
    monthly.is_churned,
    cast(monthly.churned_mrr_amount as decimal(18, 2))     as churned_mrr_amount,
    monthly.tenure_months,
    ticket_counts.tickets_prior_90d,
    case
        when not monthly.is_churned then null
        when ticket_counts.tickets_prior_90d >= 3 then 'support_friction'
        when monthly.tenure_months <= 3 then 'early_churn'
        else 'other'
    end                                                    as churn_category,
    bool_or(monthly.is_churned) over (partition by monthly.account_id) as has_ever_churned
from monthly
inner join ticket_counts
    on monthly.churn_id = ticket_counts.churn_id
