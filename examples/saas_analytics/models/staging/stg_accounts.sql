with source as (

    select * from {{ source('app', 'accounts') }}

),

renamed as (

    select
        id                                   as account_id,
        trim(name)                           as account_name,
        coalesce(lower(industry), 'unknown') as industry,
        upper(country_code)                  as country_code,
        created_at                           as account_created_at,
        _loaded_at                           as loaded_at
    from source

)

select * from renamed
