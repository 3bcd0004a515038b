with source as (

    select * from {{ source('app', 'app_users') }}

),

cleaned as (

    select
        id                              as user_id,
        account_id,
        lower(trim(email))              as email,
        split_part(lower(trim(email)), '@', 2) as email_domain,
        full_name,
        nullif(trim(phone), '')         as phone,
        signup_ip,
        date_of_birth,
        created_at                      as signed_up_at
    from source

)

select * from cleaned
