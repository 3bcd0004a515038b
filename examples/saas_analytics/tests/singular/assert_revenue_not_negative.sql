-- Invoices must never carry a negative amount (credit notes live in a separate system).
select
    invoice_id,
    amount_usd
from {{ ref('fct_revenue') }}
where amount_usd < 0
