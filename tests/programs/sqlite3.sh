#!/bin/bash
# sqlite3.sh DIR — builds a 100 000-row table with an index, queries, deletes a
# third and vacuums, and prints the query results.
set -u
command -v sqlite3 >/dev/null || { echo "sqlite3 not installed: skipped (Debian: apt-get install -y sqlite3)"; exit 77; }
mkdir -p "$1" && cd "$1" || exit 1
rm -f t.db
sqlite3 t.db <<'SQL'
create table t(id integer primary key, k text, v integer);
with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)
insert into t(k, v) select printf('key%06d', (x * 7919) % 100000), x * 3 from c;
create index t_k on t(k);
select count(*), sum(v), min(k), max(k) from t;
select k, v from t where k between 'key050000' and 'key050005' order by k;
select substr(k, 1, 5) as p, count(*), avg(v) from t group by p order by p limit 5;
delete from t where id % 3 = 0;
vacuum;
select count(*), total(v) from t;
SQL
