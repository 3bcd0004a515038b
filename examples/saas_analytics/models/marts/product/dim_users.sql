with users as (

    select * from {{ ref('stg_app_users') }}

),

activity as (

    select
        user_id,
        min(activity_date)    as first_active_date,
        max(activity_date)    as last_active_date,
        count(*)              as active_days,
        sum(total_events)     as total_events
    from {{ ref('int_user_activity_daily') }}
    group by 1

)

select
    users.user_id,
    users.account_id,
    users.email,
    users.email_domain,
    users.full_name,
    users.phone,
    users.signup_ip,
    users.date_of_birth,
    users.signed_up_at,
    activity.first_active_date,
    activity.last_active_date,
    coalesce(activity.active_days, 0)      as active_days,
    coalesce(activity.total_events, 0)     as total_events,
    coalesce(
        activity.last_active_date >= date '{{ var("as_of_date") }}' - interval 30 day, false
    )                                      as is_active_last_30d
from users
left join activity
    on users.user_id = activity.user_id
