with source as (

    select * from {{ source('events', 'product_events') }}

),

parsed as (

    select
        id                                              as event_id,
        user_id,
        event_name,
        occurred_at,
        cast(occurred_at as date)                       as event_date,
        json_extract_string(properties, '$.client')     as client,
        json_extract_string(properties, '$.source')     as acquisition_source,
        properties                                      as properties_json
    from source
    where event_name is not null

)

select * from parsed
