-- Daily product usage per account, with a trailing 7-day event count.

with daily as (

    select * from {{ ref('int_user_activity_daily') }}

),

users as (

    select user_id, account_id from {{ ref('stg_app_users') }}

),

per_account as (

    select
        users.account_id,
        daily.activity_date,
        count(distinct daily.user_id)     as active_users,
        sum(daily.total_events)           as total_events,
        sum(daily.logins)                 as logins,
        sum(daily.dashboards_viewed)      as dashboards_viewed,
        sum(daily.queries_run)            as queries_run,
        sum(daily.reports_exported)       as reports_exported,
        sum(daily.signups)                as signups
    from daily
    inner join users
        on daily.user_id = users.user_id
    group by 1, 2

)

select
    concat(cast(account_id as varchar), '-', strftime(activity_date, '%Y-%m-%d')) as usage_id,
    *,
    sum(total_events) over (
        partition by account_id
        order by activity_date
        range between interval 6 day preceding and current row
    ) as events_trailing_7d
from per_account
