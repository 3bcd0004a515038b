with source as (

    select * from {{ source('support', 'support_tickets') }}

),

renamed as (

    select
        id                         as ticket_id,
        account_id,
        lower(requester_email)     as requester_email,
        subject,
        body,
        lower(priority)            as priority,
        lower(status)              as ticket_status,
        created_at,
        resolved_at
    from source

)

select * from renamed
