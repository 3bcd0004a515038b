with subscriptions as (

    select * from {{ ref('stg_subscriptions') }}

),

plans as (

    select * from {{ ref('plans') }}

),

sequenced as (

    select
        subscriptions.subscription_id,
        subscriptions.account_id,
        subscriptions.plan_id,
        plans.plan_name,
        plans.tier                                   as plan_tier,
        plans.monthly_price_cents,
        subscriptions.subscription_status,
        subscriptions.started_at,
        subscriptions.ended_at,
        subscriptions.mrr_amount,
        subscriptions.is_active,
        row_number() over (
            partition by subscriptions.account_id order by subscriptions.started_at
        )                                            as subscription_sequence,
        lag(plans.monthly_price_cents) over (
            partition by subscriptions.account_id order by subscriptions.started_at
        )                                            as previous_plan_price_cents
    from subscriptions
    left join plans
        on subscriptions.plan_id = plans.plan_id

)

select
    subscription_id,
    account_id,
    plan_id,
    plan_name,
    plan_tier,
    subscription_status,
    started_at,
    ended_at,
    mrr_amount,
    is_active                                        as is_current,
    subscription_sequence,
    case
        when subscription_sequence = 1 then 'new'
        when monthly_price_cents > previous_plan_price_cents then 'upgrade'
        when monthly_price_cents < previous_plan_price_cents then 'downgrade'
        else 'renewal'
    end                                              as change_type,
    date_diff(
        'day', started_at, coalesce(ended_at, timestamp '{{ var("as_of_date") }}')
    )                                                as duration_days
from sequenced
