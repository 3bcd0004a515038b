-- dim_accounts v1 (deprecated): the original account dimension, kept for the old BI workbooks.

with accounts as (

    select * from {{ ref('stg_accounts') }}

),

current_subscriptions as (

    select * from {{ ref('int_account_subscriptions') }}

)

select
    accounts.account_id,
    accounts.account_name,
    accounts.industry,
    accounts.country_code,
    accounts.account_created_at,
    current_subscriptions.current_plan_name,
    coalesce(current_subscriptions.current_mrr_amount, 0) as current_mrr_amount
from accounts
left join current_subscriptions
    on accounts.account_id = current_subscriptions.account_id
