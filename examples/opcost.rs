use std::time::Instant;
use stream_sim::models::dstream::ops::{self, OpCtx};
use stream_sim::models::dstream::rdd::{Lineage, Rdd};
use stream_sim::scenario::expr::compile;
use stream_sim::scenario::parse::parse_expr;
use stream_sim::value::Value;
fn main() {
    let text = std::fs::read_to_string("scenarios/data/fortunes/lines.txt").unwrap();
    let lines: Vec<Value> = text.lines().cycle().take(60000).map(Value::str).collect();
    let parts: Vec<Vec<Value>> = lines.chunks(400).map(|c| c.to_vec()).collect();
    let mut ctx = OpCtx::new(0, 2);
    let l = ctx.lineage("src", &[], false);
    let rdd = Rdd::new(parts, None, l);
    let f = |s: &str, a| compile(&parse_expr(s).unwrap(), a).unwrap();
    let t = Instant::now();
    let words = ops::flat_map(&mut ctx, &rdd, &f("split(\" \")", 1)).unwrap();
    let n = words.count() as f64;
    println!("flatMap   {:.0} ns/word", t.elapsed().as_nanos() as f64 / n);
    let t = Instant::now();
    let pairs = ops::map(&mut ctx, &words, &f("pair(1)", 1)).unwrap();
    println!("map       {:.0} ns/word", t.elapsed().as_nanos() as f64 / n);
    let t = Instant::now();
    let counts = ops::reduce_by_key(&mut ctx, &pairs, &f("sum", 2), 2, "reduceByKey").unwrap();
    println!(
        "reduce    {:.0} ns/word ({} keys)",
        t.elapsed().as_nanos() as f64 / n,
        counts.count()
    );
    let t = Instant::now();
    drop(pairs);
    drop(words);
    println!("drop      {:.0} ns/word", t.elapsed().as_nanos() as f64 / n);
    let _ = Lineage::render;
}
