-- dim_accounts v2: adds users, lifetime revenue and a customer segment.

with accounts as (

    select * from {{ ref('stg_accounts') }}

),

current_subscriptions as (

    select * from {{ ref('int_account_subscriptions') }}

),

users as (

    select
        account_id,
        count(*)            as user_count,
        min(signed_up_at)   as first_user_signed_up_at
    from {{ ref('stg_app_users') }}
    group by 1

),

revenue as (

    select
        account_id,
        sum(amount_usd)     as lifetime_revenue_usd
    from {{ ref('stg_invoices') }}
    where invoice_status = 'paid'
    group by 1

)

select
    accounts.account_id,
    accounts.account_name,
    accounts.industry,
    accounts.country_code,
    accounts.account_created_at,
    current_subscriptions.current_plan_name,
    coalesce(current_subscriptions.current_mrr_amount, 0)  as current_mrr_amount,
    coalesce(users.user_count, 0)                          as user_count,
    coalesce(revenue.lifetime_revenue_usd, 0)              as lifetime_revenue_usd,
    coalesce(current_subscriptions.is_currently_subscribed, false)
        and current_subscriptions.current_mrr_amount > 0   as is_paying,
    case
        when current_subscriptions.current_mrr_amount >= 900 then 'enterprise'
        when current_subscriptions.current_mrr_amount >= 250 then 'mid_market'
        when current_subscriptions.current_mrr_amount > 0 then 'smb'
        when current_subscriptions.is_currently_subscribed then 'free'
        else 'former_customer'
    end                                                    as customer_segment
from accounts
left join current_subscriptions
    on accounts.account_id = current_subscriptions.account_id
left join users
    on accounts.account_id = users.account_id
left join revenue
    on accounts.account_id = revenue.account_id
