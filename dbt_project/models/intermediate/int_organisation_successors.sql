{#- Each predecessor in NHS ODS's successions and the organisation that carries it now: chains
    resolved (A -> B on one day, B -> C on a later one gives A -> C and B -> C). A predecessor
    with two or more successors was split: no one organisation carries its series, so it is left
    out (and a chain through it stops at it). The file's contract refuses cycles. -#}

with recursive

successions as (

    select * from {{ ref('stg_ods__successors') }}

),

single_successors as (

    select
        predecessor_code,
        any_value(successor_code) as successor_code,
        any_value(succeeded_on) as succeeded_on

    from successions
    group by predecessor_code
    having count(*) = 1

),

chains (predecessor_code, immediate_successor_code, successor_code, succeeded_on, successions) as (

    select
        predecessor_code,
        successor_code,
        successor_code,
        succeeded_on,
        1

    from single_successors

    union all

    select
        chains.predecessor_code,
        chains.immediate_successor_code,
        next_step.successor_code,
        chains.succeeded_on,
        chains.successions + 1

    from chains
    inner join single_successors as next_step
        on chains.successor_code = next_step.predecessor_code
    where chains.successions < 50

),

resolved as (

    select * from chains
    qualify row_number() over (
        partition by predecessor_code order by successions desc
    ) = 1

)

select
    predecessor_code,
    successor_code,
    immediate_successor_code,
    succeeded_on,
    successions

from resolved
