with tickets as (

    select * from {{ ref('int_ticket_resolution') }}

),

accounts as (

    select account_id, account_name from {{ ref('stg_accounts') }}

)

select
    tickets.ticket_id,
    tickets.account_id,
    accounts.account_name,
    tickets.requester_email,
    tickets.subject,
    tickets.priority,
    tickets.ticket_status,
    tickets.created_at,
    tickets.resolved_at,
    cast(tickets.created_at as date)                         as created_date,
    round(tickets.resolution_hours, 2)                       as resolution_hours,
    tickets.sla_target_hours,
    tickets.met_sla,
    count(*) over (
        partition by tickets.account_id
        order by tickets.created_at
        range between interval 30 day preceding and current row
    )                                                        as account_tickets_last_30d
from tickets
left join accounts
    on tickets.account_id = accounts.account_id
