-- Invoices enriched with payment timing. Private to the finance group.

with invoices as (

    select * from {{ ref('stg_invoices') }}

),

timed as (

    select
        invoices.*,
        paid_at is not null                              as is_paid,
        date_diff('day', issued_at, paid_at)             as days_to_pay,
        invoice_status = 'open'
            and issued_at < timestamp '{{ var("as_of_date") }}' - interval 30 day as is_overdue
    from invoices

)

select
    *,
    case
        when not is_paid and invoice_status in ('void', 'uncollectible') then 'written_off'
        when not is_paid then 'unpaid'
        when days_to_pay <= 7 then '0-7 days'
        when days_to_pay <= 14 then '8-14 days'
        else '15+ days'
    end as payment_bucket
from timed
