-- One row per user and day with at least one product event.

with events as (

    select * from {{ ref('stg_product_events') }}

)

select
    user_id,
    event_date                                                 as activity_date,
    count(*)                                                   as total_events,
    sum(case when event_name = 'login' then 1 else 0 end)             as logins,
    sum(case when event_name = 'dashboard_viewed' then 1 else 0 end)  as dashboards_viewed,
    sum(case when event_name = 'query_run' then 1 else 0 end)         as queries_run,
    sum(case when event_name = 'report_exported' then 1 else 0 end)   as reports_exported,
    sum(case when event_name = 'signed_up' then 1 else 0 end)         as signups,
    count(distinct client)                                     as clients_used,
    min(occurred_at)                                           as first_event_at,
    max(occurred_at)                                           as last_event_at
from events
group by 1, 2
