//! The event-time range in a stream-stream join condition: Spark's
//! `StreamingJoinHelper.getStateValueWatermark`
//! (`sql/catalyst/.../analysis/StreamingJoinHelper.scala`). From conjuncts such as
//! `r.time >= l.time AND r.time <= l.time + interval 1 hour` it finds, for each side, how far
//! below the watermark a stored row can still match a future row of the other side.

use super::expressions::{BinOp, Expr};

/// A conjunct as `coef_l * l.time + coef_r * r.time + k (op) 0`.
fn linear(e: &Expr, left_col: usize, right_col: usize) -> Option<(i64, i64, i64)> {
    match e {
        Expr::Ref(i, _) if *i == left_col => Some((1, 0, 0)),
        Expr::Ref(i, _) if *i == right_col => Some((0, 1, 0)),
        Expr::Interval(ms) => Some((0, 0, *ms)),
        Expr::Alias(a, _) => linear(a, left_col, right_col),
        Expr::Bin(BinOp::Add, a, b) => {
            let (x, y) = (
                linear(a, left_col, right_col)?,
                linear(b, left_col, right_col)?,
            );
            Some((x.0 + y.0, x.1 + y.1, x.2 + y.2))
        }
        Expr::Bin(BinOp::Sub, a, b) => {
            let (x, y) = (
                linear(a, left_col, right_col)?,
                linear(b, left_col, right_col)?,
            );
            Some((x.0 - y.0, x.1 - y.1, x.2 - y.2))
        }
        _ => None,
    }
}

fn conjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::Bin(BinOp::And, a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        e => out.push(e),
    }
}

/// For a bound join condition over `left ++ right` columns (`n_left` left columns) and the
/// two sides' event-time columns: `(left, right)` offsets such that a stored left row with
/// `time <= watermark + left` (and likewise right) can match no future row. `None` for a
/// side the condition does not bound.
pub fn retention(
    cond: &Expr,
    n_left: usize,
    event_time: (Option<usize>, Option<usize>),
) -> (Option<i64>, Option<i64>) {
    let (Some(lc), Some(rc)) = event_time else {
        return (None, None);
    };
    let _ = n_left;
    let mut parts = Vec::new();
    conjuncts(cond, &mut parts);
    let (mut left, mut right): (Option<i64>, Option<i64>) = (None, None);
    for p in parts {
        let Expr::Bin(op, a, b) = p else { continue };
        let (Some(x), Some(y)) = (linear(a, lc, rc), linear(b, lc, rc)) else {
            continue;
        };
        // x op y  <=>  (x - y) op 0, with x - y = cl*l + cr*r + k.
        let (cl, cr, k) = (x.0 - y.0, x.1 - y.1, x.2 - y.2);
        let ge = match op {
            BinOp::Gt | BinOp::GtEq => true,
            BinOp::Lt | BinOp::LtEq => false,
            _ => continue,
        };
        // A non-strict bound keeps the row exactly at it one more batch: Spark's state
        // watermark is the bound minus 1 ms there (measured: tests/fixtures/structured/
        // stream_stream_left_outer_range.json emits (10:20, c) only when the watermark
        // reaches 11:00, not at 10:30).
        let slack = i64::from(matches!(op, BinOp::GtEq | BinOp::LtEq));
        // Normalise to  l - r + k' >= 0  or  l - r + k' <= 0.
        let (sign_ge, k) = match (cl, cr) {
            (1, -1) => (ge, k),
            (-1, 1) => (!ge, -k),
            _ => continue,
        };
        if sign_ge {
            // l >= r - k: a future right row (r > wm) needs l > wm - k.
            let v = -k - slack;
            left = Some(left.map_or(v, |o: i64| o.max(v)));
        } else {
            // r >= l + k: a future left row (l > wm) needs r > wm + k.
            let v = k - slack;
            right = Some(right.map_or(v, |o: i64| o.max(v)));
        }
    }
    (left, right)
}
