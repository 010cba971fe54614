"""The store's DuckDB SQL as PostgreSQL, translated once per distinct statement with sqlglot.

The queries of the store, the review app, the KPIs and the reports are written once, in DuckDB's SQL, and run
unchanged on a DuckDB file. On PostgreSQL each statement goes through `to_postgres` (cached): sqlglot transpiles the
syntax (QUALIFY, FILTER, list literals and functions, medians and quantiles, casts), and this module adds what sqlglot
cannot know from the text alone, because it depends on the store's schema:

- `?` parameters become numbered ones (`%(1)s`), so a parameter that sqlglot repeats in its output (list_contains
  becomes a CASE over the value) is still bound once, by position in the original statement;
- field access on the two struct columns, `evidence.turn_index` or `t.emotion_scores.joy`, becomes a typed read of
  the jsonb column PostgreSQL keeps them in (`pg_schema`);
- a literal `%` is doubled, since psycopg reads `%` as the start of a parameter.

DuckDB functions that PostgreSQL lacks under the same name (epoch_us, arg_max, first, any_value, length of a list,
...) are not rewritten here: `pgcompat.sql` defines them in the store's database, so that the translated text stays
close to what was written.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp

# The struct columns (schema.sql) and their fields' PostgreSQL types: jsonb on PostgreSQL.
STRUCT_FIELDS: dict[str, dict[str, str]] = {
    "evidence": {"turn_index": "BIGINT", "start": "BIGINT", "end": "BIGINT", "text": "TEXT", "note": "TEXT"},
    "emotion_scores": {
        e: "REAL" for e in ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
    },
}
_LONE_PERCENT = re.compile(r"%(?!\(\d+\)s)")


def _number_placeholders(sql: str) -> str:
    """Each `?` outside string literals, quoted names and comments as `$1`, `$2`, ... in order of appearance."""
    out, n, i = [], 0, 0
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < len(sql):
                if sql[end] == ch:
                    if end + 1 < len(sql) and sql[end + 1] == ch:  # a doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = len(sql) if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _struct_field(node: exp.Expression) -> exp.Expression:
    """`x.evidence.turn_index` (a column whose "table" is a struct column) as a typed read of the jsonb column."""
    if not isinstance(node, exp.Column) or not node.table:
        return node
    fields = STRUCT_FIELDS.get(node.table.lower())
    if fields is None or node.name not in fields:
        return node
    column = exp.column(node.table, table=node.db or None)
    value = exp.JSONExtractScalar(this=column, expression=exp.Literal.string(node.name))
    typed = exp.cast(exp.paren(value), fields[node.name])
    if isinstance(node.parent, exp.Select) and node.arg_key == "expressions":
        return exp.alias_(typed, node.name, quoted=True)  # the column's name as DuckDB gives it
    return typed


def _pg(sql: str) -> exp.Expression:
    return sqlglot.parse_one(sql, read="postgres")


def _arg_extreme(node: exp.Expression) -> exp.Expression:
    """arg_max / arg_min / arg_min_null (with or without FILTER) as the first of an ordered array_agg: DuckDB's
    arg_max(a, b) skips rows where a or b is null; arg_min_null keeps a null `a`."""
    cond = None
    if isinstance(node, exp.Filter):
        cond, node_fn = node.expression.this, node.this
    else:
        node_fn = node
    if isinstance(node_fn, (exp.ArgMax, exp.ArgMin)):
        arg, val, keep_null = node_fn.this, node_fn.expression, False
        desc = isinstance(node_fn, exp.ArgMax)
    elif isinstance(node_fn, exp.Anonymous) and node_fn.name.lower() in ("arg_min_null", "arg_max_null"):
        arg, val = node_fn.expressions
        keep_null, desc = True, node_fn.name.lower() == "arg_max_null"
    else:
        return node
    if node is node_fn and isinstance(node.parent, exp.Filter):
        return node  # rewritten with its FILTER
    a, b = arg.sql("postgres"), val.sql("postgres")
    conds = [f"({b}) IS NOT NULL"] + ([] if keep_null else [f"({a}) IS NOT NULL"])
    if cond is not None:
        conds.insert(0, f"({cond.sql('postgres')})")
    order = "DESC" if desc else "ASC"
    return _pg(f"(array_agg({a} ORDER BY {b} {order}) FILTER (WHERE {' AND '.join(conds)}))[1]")


def _has_aggregate(node: exp.Expression) -> bool:
    return any(
        isinstance(n, exp.AggFunc) or (isinstance(n, exp.Anonymous) and n.name.lower() in _COMPAT_AGGREGATES)
        for n in node.walk()
    ) or any(isinstance(n, exp.Window) for n in node.walk())


_COMPAT_AGGREGATES = frozenset({"first", "last", "any_value", "arg_min_null", "arg_max_null", "median"})


def _all_lists(node: exp.Expression) -> exp.Expression:
    """GROUP BY ALL: the select list's expressions without an aggregate; ORDER BY ALL: every output column."""
    if not isinstance(node, exp.Select):
        return node
    group = node.args.get("group")
    if group is not None and group.args.get("all"):
        keys = [
            exp.Literal.number(i)
            for i, e in enumerate(node.expressions, 1)
            if not _has_aggregate(e.unalias() if isinstance(e, exp.Alias) else e)
        ]
        node.set("group", exp.Group(expressions=keys) if keys else None)
    order = node.args.get("order")
    if (
        order is not None
        and len(order.expressions) == 1
        and isinstance(order.expressions[0].this, exp.Var)
        and order.expressions[0].this.name.upper() == "ALL"
    ):
        if any(
            isinstance(e, exp.Star) or (isinstance(e, exp.Column) and e.is_star) for e in node.expressions
        ):
            raise ValueError("ORDER BY ALL over a * has no PostgreSQL translation: name the columns")
        node.set(
            "order",
            exp.Order(
                expressions=[
                    exp.Ordered(this=exp.Literal.number(i)) for i in range(1, len(node.expressions) + 1)
                ]
            ),
        )
    return node


def _typed_lists(node: exp.Expression) -> exp.Expression:
    """A list parameter unnested or searched (`unnest(?)`, `list_contains(?, x)`) is a list of text: the store passes
    ids that way, and an empty list would otherwise have no type PostgreSQL can resolve."""
    if isinstance(node, (exp.Explode, exp.ArrayContains)) and isinstance(node.this, exp.Placeholder):
        node.set("this", exp.cast(node.this.copy(), "TEXT[]"))
    return node


def _rowid(node: exp.Expression) -> exp.Expression:
    """DuckDB's rowid (insertion order of an append-only table) as PostgreSQL's ctid."""
    if isinstance(node, exp.Column) and not node.table and node.name.lower() == "rowid":
        return exp.column("ctid")
    return node


def _mode(node: exp.Expression) -> exp.Expression:
    """DuckDB's aggregate `mode(x)` as PostgreSQL's ordered-set `mode() WITHIN GROUP (ORDER BY x)` (both skip nulls)."""
    if isinstance(node, exp.Mode) and node.this is not None and not isinstance(node.parent, exp.WithinGroup):
        return exp.WithinGroup(
            this=exp.Mode(), expression=exp.Order(expressions=[exp.Ordered(this=node.this.copy())])
        )
    return node


def _any_value(node: exp.Expression) -> exp.Expression:
    """sqlglot reads DuckDB's any_value(x) as any_value(x IGNORE NULLS), which PostgreSQL cannot say (and sqlglot
    warns on stderr); PostgreSQL's any_value (and pgcompat's before 16) skips nulls already."""
    if isinstance(node, exp.IgnoreNulls) and isinstance(node.this, exp.AnyValue):
        return node.this
    return node


@lru_cache(maxsize=4096)
def to_postgres(sql: str) -> str:
    """One DuckDB statement as PostgreSQL, with `%(n)s` parameters (n from 1, in the order of the `?`s)."""
    tree = sqlglot.parse_one(_number_placeholders(sql), read="duckdb")
    for rewrite in (_all_lists, _struct_field, _arg_extreme, _typed_lists, _rowid, _mode, _any_value):
        tree = tree.transform(rewrite)
    return _LONE_PERCENT.sub("%%", tree.sql(dialect="postgres"))


def bind(params: object) -> dict[str, object]:
    """Positional parameters as the numbered ones `to_postgres` writes."""
    if params is None:
        return {}
    if isinstance(params, dict):
        return params
    return {str(n): value for n, value in enumerate(params, 1)}
