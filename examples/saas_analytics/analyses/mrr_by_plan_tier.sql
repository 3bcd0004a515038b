-- Ad-hoc analysis: MRR by plan tier over the last 12 months (compiled only, never run).
select
    fct_mrr.mrr_month,
    plans.tier                    as plan_tier,
    sum(fct_mrr.mrr_amount)       as mrr,
    count(distinct fct_mrr.account_id) filter (where fct_mrr.mrr_amount > 0) as paying_accounts
from {{ ref('fct_mrr') }} as fct_mrr
left join {{ ref('plans') }} as plans
    on fct_mrr.plan_name = plans.plan_name
where fct_mrr.mrr_month >= date '{{ var("as_of_date") }}' - interval 12 month
group by 1, 2
order by 1, 2
