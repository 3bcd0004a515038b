{{ config(materialized='ephemeral') }}

-- Resolution time and SLA attainment per ticket (ephemeral: inlined into fct_support_tickets).

with tickets as (

    select * from {{ ref('stg_support_tickets') }}

),

measured as (

    select
        tickets.*,
        date_diff('minute', created_at, resolved_at) / 60.0 as resolution_hours,
        case priority
            when 'urgent' then 4
            when 'high' then 8
            when 'medium' then 24
            else 72
        end                                                  as sla_target_hours
    from tickets

)

select
    *,
    case
        when resolved_at is null then null
        else resolution_hours <= sla_target_hours
    end as met_sla
from measured
