{{ config(meta={'owner': 'erin@saas.example'}) }}

-- One row per account: the account's most recent subscription and its subscription history stats.

with subscriptions as (

    select * from {{ ref('stg_subscriptions') }}

),

plans as (

    select * from {{ ref('plans') }}

),

ranked as (

    select
        subscriptions.*,
        row_number() over (
            partition by account_id
            order by started_at desc, subscription_id desc
        )                                               as recency_rank,
        count(*) over (partition by account_id)         as subscription_count,
        min(started_at) over (partition by account_id)  as first_subscription_started_at
    from subscriptions

)

select
    ranked.account_id,
    ranked.subscription_id                  as current_subscription_id,
    ranked.plan_id                          as current_plan_id,
    plans.plan_name                         as current_plan_name,
    plans.tier                              as current_plan_tier,
    ranked.subscription_status              as current_status,
    case
        when ranked.is_active then ranked.mrr_amount
        else cast(0 as decimal(18, 2))
    end                                     as current_mrr_amount,
    ranked.is_active                        as is_currently_subscribed,
    ranked.subscription_count,
    ranked.first_subscription_started_at
from ranked
left join plans
    on ranked.plan_id = plans.plan_id
where ranked.recency_rank = 1
