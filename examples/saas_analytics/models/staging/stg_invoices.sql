with source as (

    select * from {{ source('billing', 'invoices') }}

),

renamed as (

    select
        id                                           as invoice_id,
        account_id,
        subscription_id,
        upper(currency)                              as currency,
        amount_cents,
        cast(amount_cents / 100.0 as decimal(18, 2)) as amount,
        -- fixed planning rates; good enough for reporting in USD
        cast(
            amount_cents / 100.0 * case upper(currency)
                when 'EUR' then 1.08
                when 'GBP' then 1.27
                else 1.0
            end
        as decimal(18, 2))                           as amount_usd,
        issued_at,
        paid_at,
        lower(status)                                as invoice_status
    from source

)

select * from renamed
