-- Invoice-level revenue. Contract-enforced: the column names and types below are a promise to BI.

with payments as (

    select * from {{ ref('int_invoice_payments') }}

),

subscriptions as (

    select subscription_id, plan_name from {{ ref('fct_subscriptions') }}

)

select
    cast(payments.invoice_id as integer)                 as invoice_id,
    cast(payments.account_id as integer)                 as account_id,
    cast(payments.subscription_id as integer)            as subscription_id,
    cast(subscriptions.plan_name as varchar)             as plan_name,
    cast(payments.issued_at as timestamp)                as issued_at,
    cast(date_trunc('month', payments.issued_at) as date) as issued_month,
    cast(payments.paid_at as timestamp)                  as paid_at,
    cast(payments.invoice_status as varchar)             as invoice_status,
    cast(payments.currency as varchar)                   as currency,
    cast(payments.amount as decimal(18, 2))              as amount,
    cast(payments.amount_usd as decimal(18, 2))          as amount_usd,
    cast(payments.is_paid as boolean)                    as is_paid,
    cast(payments.days_to_pay as integer)                as days_to_pay,
    cast(payments.payment_bucket as varchar)             as payment_bucket
from payments
left join subscriptions
    on payments.subscription_id = subscriptions.subscription_id
