with source as (

    select * from {{ source('app', 'subscriptions') }}

),

renamed as (

    select
        id                                        as subscription_id,
        account_id,
        plan_id,
        lower(status)                             as subscription_status,
        started_at,
        ended_at,
        mrr_cents,
        cast(mrr_cents / 100.0 as decimal(18, 2)) as mrr_amount,
        ended_at is null
            and lower(status) in ('active', 'past_due', 'trialing') as is_active,
        _loaded_at                                as loaded_at
    from source

)

select * from renamed
