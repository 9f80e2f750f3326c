//! The pipeline parser and the function compiler: parse trees, error messages and positions,
//! printing back, compiling and calling lambdas and built-ins, and robustness on garbage.

use stream_sim::func::Func;
use stream_sim::scenario::ast::{BinOp, Expr, ExprKind, Literal, Program, UnOp};
use stream_sim::scenario::expr::{builtins, compile, eval_const};
use stream_sim::scenario::parse::{parse_expr, parse_program, unparse};
use stream_sim::value::{java_double, SeqKind, Value};

// ---- helpers ------------------------------------------------------------------------------

/// A compact S-expression form of an expression tree.
fn sx(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Lit(l) => match l {
            Literal::Int(i) => i.to_string(),
            Literal::Float(x) => format!("{x:?}f"),
            Literal::Str(s) => format!("{s:?}"),
            Literal::Bool(b) => b.to_string(),
            Literal::Null => "null".into(),
            Literal::None => "None".into(),
            Literal::Duration(d) => format!("{}ms", d.ms()),
        },
        ExprKind::Var(v) => v.clone(),
        ExprKind::Tuple(items) => format!("(tuple {})", list(items)),
        ExprKind::Call { func, args } => {
            if args.is_empty() {
                format!("({})", func.name)
            } else {
                format!("({} {})", func.name, list(args))
            }
        }
        ExprKind::Method { recv, name, args } => match args {
            None => format!("(.{} {})", name.name, sx(recv)),
            Some(a) => format!("(.{} {} [{}])", name.name, sx(recv), list(a)),
        },
        ExprKind::Lambda { params, body } => {
            let p: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
            format!("(fn [{}] {})", p.join(" "), sx(body))
        }
        ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op_str(*op), sx(lhs), sx(rhs)),
        ExprKind::Unary { op, expr } => match op {
            UnOp::Not => format!("(! {})", sx(expr)),
            UnOp::Neg => format!("(neg {})", sx(expr)),
        },
        ExprKind::If { cond, then_, else_ } => {
            format!("(if {} {} {})", sx(cond), sx(then_), sx(else_))
        }
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(sx).collect::<Vec<_>>().join(" ")
}

fn op_str(op: BinOp) -> &'static str {
    op.symbol()
}

fn program_sx(p: &Program) -> String {
    p.statements
        .iter()
        .map(|s| match &s.target {
            Some(t) => format!("{} = {}", t.name, sx(&s.expr)),
            None => sx(&s.expr),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Parses a program and compares its compact form.
fn check_program(src: &str, expected: &str) {
    match parse_program(src) {
        Ok(p) => assert_eq!(program_sx(&p), expected, "program: {src}"),
        Err(e) => panic!("program {src:?} failed to parse: {e}"),
    }
}

/// Parses an expression and compares its compact form.
fn check_expr(src: &str, expected: &str) {
    match parse_expr(src) {
        Ok(e) => assert_eq!(sx(&e), expected, "expression: {src}"),
        Err(e) => panic!("expression {src:?} failed to parse: {e}"),
    }
}

/// Parses a bad program and compares the full error (`line L, column C: message`).
fn check_error(src: &str, expected: &str) {
    match parse_program(src) {
        Ok(p) => panic!("{src:?} parsed as {}", program_sx(&p)),
        Err(e) => assert_eq!(e.to_string(), expected, "program: {src:?}"),
    }
}

/// A value printed unambiguously: strings quoted, the rest as Scala prints it.
fn show(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("{:?}", &**s),
        Value::Float(x) => java_double(*x),
        Value::Tuple(items) => {
            format!("({})", items.iter().map(show).collect::<Vec<_>>().join(","))
        }
        Value::Opt(Some(x)) => format!("Some({})", show(x)),
        Value::Seq(kind, items) => {
            let name = match kind {
                SeqKind::List => "List",
                SeqKind::CompactBuffer => "CompactBuffer",
                SeqKind::ArrayBuffer => "ArrayBuffer",
                SeqKind::Array => "Array",
                SeqKind::Set => "Set",
                SeqKind::Map => "Map",
            };
            format!(
                "{name}({})",
                items.iter().map(show).collect::<Vec<_>>().join(", ")
            )
        }
        other => other.to_string(),
    }
}

fn compiled(src: &str, arity: usize) -> Func {
    let e = parse_expr(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    compile(&e, arity).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

/// Compiles `src` as a function of `args.len()` arguments, calls it and compares the result.
fn check_eval(src: &str, args: impl Into<Vec<Value>>, expected: &str) {
    let args: Vec<Value> = args.into();
    let f = compiled(src, args.len());
    match f.call(&args) {
        Ok(v) => assert_eq!(show(&v), expected, "{src} on {args:?}"),
        Err(e) => panic!("{src} on {args:?} failed: {e}"),
    }
}

/// Compiles `src`, calls it and compares the run-time error message.
fn check_eval_error(src: &str, args: impl Into<Vec<Value>>, expected: &str) {
    let args: Vec<Value> = args.into();
    let f = compiled(src, args.len());
    match f.call(&args) {
        Ok(v) => panic!("{src} on {args:?} returned {}", show(&v)),
        Err(e) => assert_eq!(e.to_string(), expected, "{src} on {args:?}"),
    }
}

/// Compiling `src` with `arity` fails at `line:col` with a message starting with `prefix`.
fn check_compile_error(src: &str, arity: usize, at: (u32, u32), prefix: &str) {
    let e = parse_expr(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    match compile(&e, arity) {
        Ok(f) => panic!("{src:?} compiled to {f:?}"),
        Err(err) => {
            assert!(
                err.message.starts_with(prefix),
                "{src:?}: message {:?} does not start with {prefix:?}",
                err.message
            );
            assert_eq!(
                (err.span.line, err.span.col),
                at,
                "{src:?}: {}",
                err.message
            );
        }
    }
}

fn s(x: &str) -> Value {
    Value::str(x)
}

fn i(x: i64) -> Value {
    Value::Int(x)
}

// ---- parsing ------------------------------------------------------------------------------

// Statements, assignments, chains of methods and separators parse to the expected trees.
#[test]
fn parses_programs() {
    check_program(
        "counts = lines.flatMap(split(\" \")).map(pair(1)).reduceByKey(sum)\ncounts.print()",
        "counts = (.reduceByKey (.map (.flatMap lines [(split \" \")]) [(pair 1)]) [sum]); (.print counts [])",
    );
    check_program("a = b; c = d;; e.print()", "a = b; c = d; (.print e [])");
    check_program("", "");
    check_program("  // only a comment\n# another\n", "");
    check_program(
        "x = lines // trailing comment\n  .filter(l => l.nonEmpty) # hash comment\ny = x",
        "x = (.filter lines [(fn [l] (.nonEmpty l))]); y = x",
    );
    check_program(
        "w = pairs.reduceByKeyAndWindow(sum, sub, 30s, 10s)",
        "w = (.reduceByKeyAndWindow pairs [sum sub 30000ms 10000ms])",
    );
    check_program(
        "s = p.updateStateByKey((values, state) => Some(values.sum + state.getOrElse(0)))",
        "s = (.updateStateByKey p [(fn [values state] (Some (+ (.sum values) (.getOrElse state [0]))))])",
    );
    check_program("f = x => y => x", "f = (fn [x] (fn [y] x))");
    check_program("a\n.b\n.c()", "(.c (.b a) [])");
}

// Literals: numbers, strings with escapes, keywords, durations; identifiers that look like them.
#[test]
fn parses_literals_and_names() {
    check_expr("42", "42");
    check_expr("-3", "-3");
    check_expr("-9223372036854775808", "-9223372036854775808");
    check_expr("2.5", "2.5f");
    check_expr("1e3", "1000.0f");
    check_expr("1.5E-2", "0.015f");
    check_expr("-2.5", "-2.5f");
    check_expr(r#""a \"b\" \\ \n \t""#, r#""a \"b\" \\ \n \t""#);
    check_expr("true", "true");
    check_expr("false", "false");
    check_expr("null", "null");
    check_expr("None", "None");
    check_expr("200ms", "200ms");
    check_expr("30s", "30000ms");
    check_expr("2min", "120000ms");
    check_expr("1h", "3600000ms");
    check_expr("2.5s", "2500ms");
    check_expr("x.min", "(.min x)");
    check_expr("x.min(2)", "(.min x [2])");
    check_expr("_2", "_2");
    check_expr("s1", "s1");
    check_expr("trueish", "trueish");
    check_expr("Nonesuch", "Nonesuch");
    check_expr("iffy", "iffy");
    check_expr("x._1", "(._1 x)");
    check_expr("1.abs", "(.abs 1)");
    check_expr("-1.abs", "(neg (.abs 1))");
    check_expr("(-1).abs", "(.abs -1)");
}

// Operator precedence and associativity follow the documented table, postfix tightest.
#[test]
fn parses_operators() {
    check_expr("a || b && c", "(|| a (&& b c))");
    check_expr("a && b || c", "(|| (&& a b) c)");
    check_expr("a == b && c != d", "(&& (== a b) (!= c d))");
    check_expr("a < b == c >= d", "(== (< a b) (>= c d))");
    check_expr("a + b * c - d / e % f", "(- (+ a (* b c)) (% (/ d e) f))");
    check_expr("a - b - c", "(- (- a b) c)");
    check_expr("a / b / c", "(/ (/ a b) c)");
    check_expr("!a && -b < c", "(&& (! a) (< (neg b) c))");
    check_expr("!!a", "(! (! a))");
    check_expr("- -a", "(neg (neg a))");
    check_expr("-x.abs", "(neg (.abs x))");
    check_expr("a <= b", "(<= a b)");
    check_expr("a > b", "(> a b)");
    check_expr("(a + b) * c", "(* (+ a b) c)");
    check_expr("a - -1", "(- a -1)");
    check_expr("1 + if (c) 2 else 3 + 4", "(+ 1 (if c 2 (+ 3 4)))");
}

// Tuples, parentheses, calls, lambdas and `if` produce the right shapes.
#[test]
fn parses_compound_expressions() {
    check_expr("(a, b, c)", "(tuple a b c)");
    check_expr("(a)", "a");
    check_expr("((a))", "a");
    check_expr("(a, (b, c))", "(tuple a (tuple b c))");
    check_expr("f()", "(f)");
    check_expr("List(1, 2)", "(List 1 2)");
    check_expr("x => x + 1", "(fn [x] (+ x 1))");
    check_expr("(a, b) => a + b", "(fn [a b] (+ a b))");
    check_expr("() => 1", "(fn [] 1)");
    check_expr("(x) => x", "(fn [x] x)");
    check_expr(
        "x => x.contains(\"a\") || x.isEmpty",
        "(fn [x] (|| (.contains x [\"a\"]) (.isEmpty x)))",
    );
    check_expr(
        "p => if (p._2 > 1) p._1 else \"few\"",
        "(fn [p] (if (> (._2 p) 1) (._1 p) \"few\"))",
    );
    check_expr("f(x => x, 2)", "(f (fn [x] x) 2)");
    check_expr("if (a) if (b) 1 else 2 else 3", "(if a (if b 1 2) 3)");
}

// Spans are 1-based line/column in characters, for statements, names and nested expressions.
#[test]
fn records_positions() {
    let p = parse_program("a = 1\n  b = \"éé\" + x.y(z)").unwrap_or_else(|e| panic!("{e}"));
    let st = &p.statements[1];
    assert_eq!((st.span.line, st.span.col), (2, 3));
    let t = st.target.as_ref().map(|t| (t.span.line, t.span.col));
    assert_eq!(t, Some((2, 3)));
    let ExprKind::Binary { rhs, .. } = &st.expr.kind else {
        panic!("not a binary: {}", sx(&st.expr))
    };
    assert_eq!((st.expr.span.line, st.expr.span.col), (2, 7));
    let ExprKind::Method { name, .. } = &rhs.kind else {
        panic!("not a method")
    };
    assert_eq!((rhs.span.line, rhs.span.col), (2, 14));
    assert_eq!((name.span.line, name.span.col), (2, 16));
    let neg = parse_expr("  -5").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((neg.span.line, neg.span.col), (1, 3));
}

// Printing an expression back gives text that parses to the same tree.
#[test]
fn unparse_round_trips() {
    let sources = [
        "lines.flatMap(split(\" \")).map(pair(1)).reduceByKey(sum)",
        "(a, b) => a + b * 2",
        "(a + b) * 2",
        "a - (b - c)",
        "a - b - c",
        "!(a && b) || c",
        "-(x + 1)",
        "(-3).abs",
        "-3.abs",
        "x => if (x > 0) \"pos\" else if (x < 0) \"neg\" else \"zero\"",
        "(if (c) 1 else 2) + 3",
        "f(x => x, (1, \"a\\\"b\\n\"), None, null, true, 2.5, 1e-7, 30s, 2500ms)",
        "(x => x).apply",
        "() => List()",
        "a == (b == c)",
    ];
    for src in sources {
        let e = parse_expr(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        let printed = unparse(&e);
        let again = parse_expr(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(sx(&again), sx(&e), "{src} printed as {printed}");
    }
    let e = parse_expr("(a,b)=>a+b*2").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unparse(&e), "(a, b) => a + b * 2");
}

// ---- parse errors -------------------------------------------------------------------------

// Common mistakes get a message naming what was found and what was valid, at the right place.
#[test]
fn reports_errors_with_positions() {
    check_error(
        "x = f(a;",
        "line 1, column 8: expected `)` or `,` after an argument, found `;` (the `(` at line 1, column 6 is still open)",
    );
    check_error(
        "x = \"abc\ny = 1",
        "line 1, column 5: unclosed string: expected a closing `\"` before the end of the line",
    );
    check_error(
        "x = lines.filter(l => l.contains(\"a\")",
        "line 1, column 17: this `(` is never closed: expected a matching `)` before the end of the input",
    );
    check_error(
        "x = = 1",
        "line 1, column 5: expected an expression after `=`, found `=`; `=` only names a result at the start of a statement (`name = expression`); to compare two values write `==`",
    );
    check_error(
        "lines.filter(x => x = 1)",
        "line 1, column 21: expected `)` or `,` after an argument, found `=`; `=` only names a result at the start of a statement (`name = expression`); to compare two values write `==`",
    );
    check_error(
        "x = a\n42.print()",
        "line 2, column 1: expected a statement (`name = expression` or an output operation such as `counts.print()`), found the number `42`; a statement cannot start with a number (is an operator missing before it?)",
    );
    check_error(
        "x = a)",
        "line 1, column 6: unmatched `)`: there is no open `(` for it to close (expected an operator, a method call `.name(...)`, `;` or a new statement)",
    );
    check_error(
        "x = a +",
        "line 1, column 8: expected an expression after `+`, found end of input",
    );
    check_error(
        "x = a.",
        "line 1, column 7: expected a method name after `.`, found end of input",
    );
    check_error(
        "w = s.window(0.5ms)",
        "line 1, column 14: duration `0.5ms` is not a whole number of milliseconds",
    );
    check_error(
        "x = (a b)",
        "line 1, column 8: expected `)` or `,`, found `b`",
    );
    check_error(
        "x = if (a) b",
        "line 1, column 13: expected `else` (an `if` needs both branches: `if (c) a else b`), found end of input",
    );
    check_error(
        "x = if a",
        "line 1, column 8: expected `(` after `if`, found `a`",
    );
    check_error(
        "x = \"a\\qb\"",
        "line 1, column 7: unknown escape `\\q` in a string; the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`",
    );
    check_error(
        "x = 'a'",
        "line 1, column 5: expected an expression after `=`, found `'`; strings are written in double quotes, e.g. \"Spark\"",
    );
    check_error(
        "x = 99999999999999999999",
        "line 1, column 5: the integer `99999999999999999999` does not fit in 64 bits (the largest is 9223372036854775807); write a decimal such as `99999999999999999999.0` for a double",
    );
    check_error(
        "a = 1\nb = lines.map(x =>\n  x +)\n",
        "line 3, column 6: expected an expression after `+`, found `)`",
    );
    check_error(
        "x = 5mins",
        "line 1, column 5: `5mins` is neither a number nor a duration; numbers are written `42`, `2.5` or `1e3`, durations a number followed by `ms`, `s`, `min` or `h` (`200ms`, `30s`, `2min`, `1h`)",
    );
    check_error(
        "x = f(a 2)",
        "line 1, column 9: expected `)` or `,` after an argument, found `2`",
    );
    check_error(
        "x = f(a 1.5E-3)",
        "line 1, column 9: expected `)` or `,` after an argument, found `1.5E`",
    );
    check_error(
        "x = f(a 2s)",
        "line 1, column 9: expected `)` or `,` after an argument, found `2s`",
    );
    check_error(
        "x = 1000000000000000000000h",
        "line 1, column 5: the duration `1000000000000000000000h` is too long",
    );
    check_error(
        "= b",
        "line 1, column 1: expected a statement: `name = expression` or an output operation such as `counts.print()`, found `=`; `=` only names a result at the start of a statement (`name = expression`); to compare two values write `==`",
    );
    check_error(
        "x = if (a) b else",
        "line 1, column 18: expected an expression after `else`, found end of input",
    );
    check_error(
        "counts.print() = x",
        "line 1, column 16: expected an operator, a method call `.name(...)`, `;` or a new statement, found `=`; `=` only names a result at the start of a statement (`name = expression`); to compare two values write `==`",
    );
}

// The error's fields carry the found and expected parts separately.
#[test]
fn error_fields() {
    let e = parse_program("x = f(a;")
        .err()
        .unwrap_or_else(|| panic!("parsed"));
    assert_eq!(e.found, "`;`");
    assert_eq!(e.expected, "`)` or `,` after an argument");
    assert_eq!((e.span.line, e.span.col), (1, 8));
    let e = parse_expr("a b").err().unwrap_or_else(|| panic!("parsed"));
    assert_eq!(e.to_string(), "line 1, column 3: expected an operator, a method call `.name(...)` or the end of the expression, found `b`");
}

// Too-deep nesting is an error, not a stack overflow.
#[test]
fn rejects_deep_nesting() {
    let deep = format!("x = {}1{}", "(".repeat(500), ")".repeat(500));
    assert!(parse_program(&deep).is_err());
    let long = format!("x = 1{}", " + 1".repeat(1000));
    assert!(parse_program(&long).is_err());
    let bangs = format!("x = {}a", "!".repeat(1000));
    assert!(parse_program(&bangs).is_err());
    for src in [
        format!("x = {}1{}", "(".repeat(100_000), ")".repeat(100_000)),
        format!("x = {}1", "a => ".repeat(100_000)),
        format!("x = {}1", "if (a) 1 else ".repeat(100_000)),
        format!("x = {}1", "f(".repeat(100_000)),
    ] {
        let e = parse_program(&src).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("nested too deeply")));
    }
    let ok = format!("x = 1{}", " + 1".repeat(100));
    assert!(parse_program(&ok).is_ok());
}

// No input panics the parser or the evaluator: every prefix of valid programs and lambdas,
// assorted garbage, and lambdas called on values of every kind.
#[test]
fn never_panics() {
    let programs = [
        "counts = lines.flatMap(split(\" \")).map(pair(1)).reduceByKey(sum) // c\ncounts.print()",
        "s = p.updateStateByKey((v, st) => Some(v.sum + st.getOrElse(0))); w = s.window(30s, 2.5s)",
        "f = x => if (x._1 != \"a\\n\" && !x._2.isEmpty) -x._2.size * 2 % 3 else (1, None, null)",
    ];
    for p in programs {
        for (idx, _) in p.char_indices() {
            let _ = parse_program(&p[..idx]);
            let _ = parse_expr(&p[..idx]);
            let _ = parse_program(&p[idx..]);
        }
    }
    let garbage = [
        "",
        "(",
        ")",
        "\"",
        "\\",
        "=",
        "==",
        "=>",
        "x =>",
        "() =>",
        "(,)",
        "f(,)",
        ".",
        "..",
        "1..2",
        "1e",
        "1e+",
        "2.",
        ".5",
        "5mins",
        "é = 1",
        "x = é",
        "\u{0}",
        "x = \"\\",
        "x = \"\\\n\"",
        "if",
        "if (",
        "if ()",
        "else",
        "x.",
        "x.1",
        "x._",
        "#",
        "//",
        "/",
        "a /",
        "a / / b",
        "!",
        "!=",
        "x = !=",
        "((((",
        "))))",
        "x = (1,",
        "x = List(1,",
        "x = \"é\u{1F600}",
        "\t\r\n",
        "x = 1;;;;",
        ";",
        "None(1)",
        "true.x",
        "x = y = z",
        "0.0000001ms",
        "99999999999h",
    ];
    let lambdas = [
        "x => (x._1 + x._2 * 2 / x.size % 3, -x, !x, x.toInt.abs.toString.length)",
        "x => if (x.contains(\"a\") && x.nonEmpty || x == null) x.split(\",\").map(y => y.trim).sorted.head else x.get",
        "x => x.substring(x.length - 5, 99).charAt(-1) + x.take(-2) + x.drop(x.size).mkString(\"[\", \",\", \"]\")",
        "x => (x.getOrElse(0) < x.max(1), x.min, x.sum, x.last, x.distinct.reverse.toList.filter(y => y > 0))",
        "(a, b) => a.toDouble / b.toLong + sum(a, b) - max(a) + (a, b).swap._2.replace(\"a\", b)",
    ];
    let values = [
        Value::Null,
        Value::Bool(true),
        Value::Int(i64::MIN),
        Value::Int(-1),
        Value::Float(f64::NAN),
        Value::str(""),
        Value::str("a,b é"),
        Value::pair(Value::Int(1), Value::str("x")),
        Value::none(),
        Value::some(Value::Int(3)),
        Value::list(vec![]),
        Value::seq(
            SeqKind::CompactBuffer,
            vec![Value::Int(2), Value::Float(-0.5), Value::str("s")],
        ),
    ];
    for l in lambdas {
        for (idx, _) in l.char_indices() {
            for arity in [1, 2] {
                let Ok(e) = parse_expr(&l[..idx]) else {
                    continue;
                };
                let Ok(f) = compile(&e, arity) else { continue };
                for a in &values {
                    for b in &values {
                        let _ = f.call(&[a.clone(), b.clone()][..arity]);
                    }
                }
            }
        }
        let f = compile(
            &parse_expr(l).unwrap_or_else(|e| panic!("{e}")),
            if l.starts_with('(') { 2 } else { 1 },
        );
        let f = f.unwrap_or_else(|e| panic!("{l}: {e}"));
        for a in &values {
            for b in &values {
                let _ = f.call(&[a.clone(), b.clone()][..f.arity()]);
            }
        }
    }
    for g in garbage {
        let _ = parse_program(g);
        if let Ok(e) = parse_expr(g) {
            let _ = compile(&e, 1);
            let _ = compile(&e, 2);
            let _ = eval_const(&e);
        }
    }
}

// ---- evaluation ---------------------------------------------------------------------------

// Java's String.split semantics: trailing empties dropped, leading/inner kept, "" -> List("").
#[test]
fn split_semantics() {
    check_eval("split(\" \")", [s("a  b")], "List(\"a\", \"\", \"b\")");
    check_eval("split(\" \")", [s("")], "List(\"\")");
    check_eval("split(\",\")", [s("a,b,,")], "List(\"a\", \"b\")");
    check_eval("split(\",\")", [s(",a")], "List(\"\", \"a\")");
    check_eval("split(\",\")", [s(",,")], "List()");
    check_eval("split(\",\")", [s("abc")], "List(\"abc\")");
    check_eval("split(\"::\")", [s("a::b")], "List(\"a\", \"b\")");
    check_eval("split(\"\")", [s("ab")], "List(\"a\", \"b\")");
    check_eval("x => x.split(\" \")", [s("a b ")], "List(\"a\", \"b\")");
    check_eval("words", [s("  a \t b\n")], "List(\"a\", \"b\")");
    check_eval("words", [s("")], "List()");
}

// Built-ins by name and with constant arguments compute what their docs say.
#[test]
fn builtins_compute() {
    check_eval("pair(1)", [s("a")], "(\"a\",1)");
    check_eval("pair1", [s("a")], "(\"a\",1)");
    check_eval("pair((1, \"x\"))", [i(0)], "(0,(1,\"x\"))");
    check_eval("sum", [i(2), i(3)], "5");
    check_eval("sum", [i(2), Value::Float(0.5)], "2.5");
    check_eval("sub", [i(2), i(3)], "-1");
    check_eval("max", [i(2), i(3)], "3");
    check_eval("min", [i(2), Value::Float(3.0)], "2.0");
    check_eval("max", [i(i64::MAX), i(-1)], "9223372036854775807");
    check_eval("sum", [Value::list(vec![i(1), i(2), i(3)])], "6");
    check_eval("max", [Value::list(vec![i(1), i(5), i(3)])], "5");
    check_eval("min", [Value::list(vec![i(4), Value::Float(2.5)])], "2.5");
    check_eval("identity", [s("x")], "\"x\"");
    check_eval("toLower", [s("AbC")], "\"abc\"");
    check_eval("toUpper", [s("AbC")], "\"ABC\"");
    check_eval("trim", [s("  a b ")], "\"a b\"");
    check_eval("swap", [Value::pair(s("k"), i(1))], "(1,\"k\")");
    check_eval("key", [Value::pair(s("k"), i(1))], "\"k\"");
    check_eval("value", [Value::pair(s("k"), i(1))], "1");
    check_eval("contains(\"ar\")", [s("Spark")], "true");
    check_eval("contains(2)", [Value::list(vec![i(1), i(2)])], "true");
    check_eval("startsWith(\"Sp\")", [s("Spark")], "true");
    check_eval("endsWith(\"Sp\")", [s("Spark")], "false");
    check_eval("equals(1)", [i(1)], "true");
    check_eval("equals(1)", [Value::Float(1.0)], "true");
    check_eval("length", [s("héllo")], "5");
    check_eval("length", [Value::list(vec![i(1)])], "1");
    let cb = Value::seq(SeqKind::CompactBuffer, vec![i(1), i(2)]);
    check_eval("runningSum", [cb.clone(), Value::none()], "Some(3)");
    check_eval("runningSum", [cb.clone(), Value::some(i(10))], "Some(13)");
    check_eval("runningCount", [cb.clone(), Value::some(i(10))], "Some(12)");
    check_eval("runningAvg", [cb.clone(), Value::none()], "Some((3,2))");
    check_eval(
        "runningAvg",
        [cb, Value::some(Value::pair(i(4), i(1)))],
        "Some((7,3))",
    );
    let f = compiled("split(\"a\\\"\")", 1);
    assert_eq!(f.name(), "split(\"a\\\"\")");
    assert_eq!(format!("{f:?}"), "split(\"a\\\"\")");
    assert_eq!(compiled("sum", 2).arity(), 2);
}

// Lambdas: arithmetic with Scala's rules, string concatenation, comparisons, if, && and ||.
#[test]
fn lambdas_compute() {
    check_eval("x => x + 1", [i(41)], "42");
    check_eval("x => x / 2", [i(7)], "3");
    check_eval("x => x / 2", [i(-7)], "-3");
    check_eval("x => x % 3", [i(-7)], "-1");
    check_eval("x => x / 2", [Value::Float(7.0)], "3.5");
    check_eval("x => x * 1.5", [i(2)], "3.0");
    check_eval("x => x + \"!\"", [i(1)], "\"1!\"");
    check_eval(
        "x => \"n=\" + x",
        [Value::pair(s("a"), i(1))],
        "\"n=(a,1)\"",
    );
    check_eval("x => x + 1 + \"a\"", [i(1)], "\"2a\"");
    check_eval("x => \"a\" + 1 + 1", [i(1)], "\"a11\"");
    check_eval("x => x + 0.1", [Value::Float(1e7)], "1.00000001E7");
    check_eval("(a, b) => a + b", [i(1), i(2)], "3");
    check_eval("(a, b) => (b, a)", [i(1), s("x")], "(\"x\",1)");
    check_eval("x => x == 1.0", [i(1)], "true");
    check_eval("x => x != (1, \"a\")", [Value::pair(i(1), s("a"))], "false");
    check_eval("x => x < \"b\"", [s("a")], "true");
    check_eval("x => x >= 2.5", [i(3)], "true");
    check_eval("x => !(x > 1) || x == 5", [i(5)], "true");
    check_eval("x => x > 1 && x._1 == 2", [i(0)], "false");
    check_eval("x => true || x._1", [i(0)], "true");
    check_eval("x => if (x > 0) \"pos\" else \"neg\"", [i(-1)], "\"neg\"");
    check_eval("x => -x", [Value::Float(2.5)], "-2.5");
    check_eval(
        "x => (x, List(x, 2), Some(x), None, null)",
        [i(1)],
        "(1,List(1, 2),Some(1),None,null)",
    );
    check_eval("x => max(x, 3) + min(x, 3)", [i(5)], "8");
    check_eval("x => toLower(x)", [s("AB")], "\"ab\"");
    check_eval("() => 7", [], "7");
    check_eval(
        "(t, k, v, s) => (t, k, v, s)",
        [i(1), i(2), i(3), i(4)],
        "(1,2,3,4)",
    );
}

// Methods on tuples, strings, numbers, sequences and options behave like Scala's.
#[test]
fn methods_compute() {
    let p = Value::tuple(vec![s("a"), i(2), Value::Float(0.5)]);
    check_eval("x => x._1", [p.clone()], "\"a\"");
    check_eval("x => x._3", [p], "0.5");
    check_eval("x => x.swap", [Value::pair(i(1), i(2))], "(2,1)");
    check_eval("x => x.contains(\"ar\")", [s("Spark")], "true");
    check_eval(
        "x => x.startsWith(\"S\") && x.endsWith(\"k\")",
        [s("Spark")],
        "true",
    );
    check_eval(
        "x => (x.toLowerCase, x.toUpperCase)",
        [s("Ab")],
        "(\"ab\",\"AB\")",
    );
    check_eval("x => x.trim.length", [s("  ab ")], "2");
    check_eval(
        "x => (x.size, x.isEmpty, x.nonEmpty)",
        [s("")],
        "(0,true,false)",
    );
    check_eval("x => x.toInt + 1", [s("41")], "42");
    check_eval("x => x.toLong", [s("-9000000000")], "-9000000000");
    check_eval("x => x.toDouble", [s(" 2.5 ")], "2.5");
    check_eval("x => x.substring(1)", [s("hello")], "\"ello\"");
    check_eval("x => x.substring(1, 3)", [s("hello")], "\"el\"");
    check_eval("x => x.replace(\"l\", \"L\")", [s("hello")], "\"heLLo\"");
    check_eval("x => x.charAt(1)", [s("hello")], "\"e\"");
    check_eval(
        "x => (x.take(2), x.drop(3), x.take(-1), x.drop(99))",
        [s("hello")],
        "(\"he\",\"lo\",\"\",\"\")",
    );
    check_eval(
        "x => (x.toInt, x.toLong, x.toDouble)",
        [Value::Float(-2.7)],
        "(-2,-2,-2.7)",
    );
    check_eval("x => x.toInt", [Value::Float(1e12)], "2147483647");
    check_eval(
        "x => (x.abs, x.toString, x.max(3), x.min(3.5))",
        [i(-4)],
        "(4,\"-4\",3,-4.0)",
    );
    let xs = Value::seq(SeqKind::CompactBuffer, vec![i(3), i(1), i(2), i(1)]);
    check_eval(
        "x => (x.sum, x.size, x.head, x.last, x.max, x.min)",
        [xs.clone()],
        "(7,4,3,1,3,1)",
    );
    check_eval("x => x.mkString(\",\")", [xs.clone()], "\"3,1,2,1\"");
    check_eval(
        "x => x.mkString(\"[\", \";\", \"]\")",
        [xs.clone()],
        "\"[3;1;2;1]\"",
    );
    check_eval("x => x.mkString", [xs.clone()], "\"3121\"");
    check_eval(
        "x => (x.contains(2), x.contains(9))",
        [xs.clone()],
        "(true,false)",
    );
    check_eval("x => x.sorted", [xs.clone()], "List(1, 1, 2, 3)");
    check_eval("x => x.reverse.distinct", [xs.clone()], "List(1, 2, 3)");
    check_eval("x => x.toList.take(2)", [xs.clone()], "List(3, 1)");
    check_eval(
        "x => x.map(y => y * 10)",
        [xs.clone()],
        "List(30, 10, 20, 10)",
    );
    check_eval("x => x.filter(y => y > 1)", [xs.clone()], "List(3, 2)");
    check_eval(
        "x => x.map(pair(0))",
        [Value::list(vec![i(1)])],
        "List((1,0))",
    );
    check_eval(
        "(x, n) => x.map(y => y + n)",
        [xs.clone(), i(1)],
        "List(4, 2, 3, 2)",
    );
    check_eval("x => x.exists(y => y == 2)", [xs.clone()], "true");
    let ab = Value::seq(SeqKind::ArrayBuffer, vec![i(2), i(1)]);
    check_eval("x => x.sorted", [ab], "ArrayBuffer(1, 2)");
    check_eval(
        "x => x.sorted",
        [Value::list(vec![Value::Float(2.5), i(1), i(3)])],
        "List(1, 2.5, 3)",
    );
    check_eval(
        "x => (x.getOrElse(0), x.isDefined, x.isEmpty, x.nonEmpty)",
        [Value::none()],
        "(0,false,true,false)",
    );
    check_eval(
        "x => (x.getOrElse(0), x.get, x.map(y => y + 1))",
        [Value::some(i(4))],
        "(4,4,Some(5))",
    );
    check_eval(
        "x => x.toString",
        [Value::some(Value::pair(s("a"), i(1)))],
        "\"Some((a,1))\"",
    );
    check_eval("x => x.toString()", [Value::Float(1e7)], "\"1.0E7\"");
    check_eval("x => x.length()", [s("ab")], "2");
}

// Run-time errors name the operation and the value.
#[test]
fn runtime_errors() {
    check_eval_error(
        "x => x._1",
        [s("abc")],
        "`_1` is not defined on string \"abc\"",
    );
    check_eval_error(
        "x => x._3",
        [Value::pair(i(1), i(2))],
        "`_3` is not defined on tuple (1,2)",
    );
    check_eval_error("x => x / 0", [i(1)], "/ by zero");
    check_eval_error("x => x % 0", [i(1)], "/ by zero");
    check_eval_error(
        "x => x + 1",
        [Value::Bool(true)],
        "cannot add bool and int (`true + 1`)",
    );
    check_eval_error(
        "x => x - \"a\"",
        [i(1)],
        "cannot subtract int and string (`1 - \"a\"`)",
    );
    check_eval_error(
        "x => x < 1",
        [s("a")],
        "cannot compare string and int (`\"a\" < 1`)",
    );
    check_eval_error(
        "x => x && true",
        [i(1)],
        "`&&` needs bool operands, found int 1",
    );
    check_eval_error("x => !x", [s("a")], "`!` needs a bool, found string \"a\"");
    check_eval_error(
        "x => if (x) 1 else 2",
        [Value::Null],
        "`if` needs a bool condition, found null",
    );
    check_eval_error(
        "x => x.get",
        [Value::none()],
        "`get` on None (NoSuchElementException: None.get)",
    );
    check_eval_error(
        "x => x.head",
        [Value::list(vec![])],
        "`head` of an empty sequence",
    );
    check_eval_error(
        "x => x.max",
        [Value::list(vec![])],
        "`max` of an empty sequence",
    );
    check_eval_error(
        "x => x.toInt",
        [s("12a")],
        "cannot convert string \"12a\" to int (NumberFormatException: For input string: \"12a\")",
    );
    check_eval_error("x => x.toInt", [s("3000000000")], "cannot convert string \"3000000000\" to int (NumberFormatException: For input string: \"3000000000\")");
    check_eval_error(
        "x => x.substring(2, 9)",
        [s("abc")],
        "`substring(2, 9)` is out of range for string \"abc\" of length 3",
    );
    check_eval_error(
        "x => x.charAt(3)",
        [s("abc")],
        "`charAt(3)` is out of range for string \"abc\" of length 3",
    );
    check_eval_error(
        "x => x.contains(1)",
        [s("abc")],
        "`contains` needs a string argument, found int 1",
    );
    check_eval_error(
        "x => x.filter(y => y)",
        [Value::list(vec![i(1)])],
        "`.filter` needs a function returning a bool, but for int 1 it returned int 1",
    );
    check_eval_error(
        "split(\" \")",
        [i(5)],
        "`split(\" \")` needs a string, found int 5",
    );
    check_eval_error("sum", [s("a"), s("b")], "`sum` works on numbers, found string \"a\" and string \"b\" (to concatenate strings use `(a, b) => a + b`)");
    check_eval_error("swap", [i(1)], "`swap` needs a pair (a, b), found int 1");
    check_eval_error(
        "runningSum",
        [i(1), Value::none()],
        "`runningSum` needs a sequence of values (first argument), found int 1",
    );
    let f = compiled("x => x", 1);
    assert_eq!(
        f.call(&[i(1), i(2)]).map_err(|e| e.message),
        Err("`x => x` takes 1 argument, but was called with 2".to_string())
    );
}

// Compile-time errors point at the offending expression and list what would be valid.
#[test]
fn compile_errors() {
    check_compile_error(
        "splt(\" \")",
        1,
        (1, 1),
        "unknown function `splt`; the built-ins are: split, words, pair,",
    );
    check_compile_error(
        "x => x",
        2,
        (1, 1),
        "this operator passes 2 arguments, e.g. `(a, b) => a + b`, but the lambda takes 1",
    );
    check_compile_error(
        "(a, b) => a",
        1,
        (1, 1),
        "this operator passes 1 argument, e.g. `x => x`, but the lambda takes 2",
    );
    check_compile_error(
        "split(1)",
        1,
        (1, 7),
        "`split` needs a string, e.g. `split(\" \")`, but the argument is int 1",
    );
    check_compile_error(
        "split",
        1,
        (1, 1),
        "`split` needs an argument: `split(sep)`, e.g. `split(\" \")`",
    );
    check_compile_error(
        "split(\" \")",
        2,
        (1, 1),
        "`split(\" \")` is a function of 1 argument, but this operator passes 2",
    );
    check_compile_error(
        "sub",
        1,
        (1, 1),
        "`sub` is a function of 2 arguments, but this operator passes 1",
    );
    check_compile_error(
        "x => y + 1",
        1,
        (1, 6),
        "unknown variable `y`; the variables in scope are: x",
    );
    check_compile_error(
        "x => x.lenght",
        1,
        (1, 8),
        "unknown method `.lenght`; the methods are:",
    );
    check_compile_error(
        "x => x.substring()",
        1,
        (1, 8),
        "`.substring` takes 1 or 2 arguments, but 0 are given",
    );
    check_compile_error(
        "x => x.contains",
        1,
        (1, 8),
        "`.contains` takes 1 argument, but 0 are given",
    );
    check_compile_error("x => frob(x)", 1, (1, 6), "unknown function `frob`");
    check_compile_error(
        "x => split(\" \")",
        1,
        (1, 6),
        "`split(...)` makes a function to pass to an operator",
    );
    check_compile_error(
        "x => x + sum",
        1,
        (1, 10),
        "`sum` is a built-in function, not a value",
    );
    check_compile_error(
        "(a, a) => a",
        2,
        (1, 5),
        "the parameter `a` appears twice in this lambda",
    );
    check_compile_error(
        "42",
        1,
        (1, 1),
        "expected a function here, found the value `42`",
    );
    check_compile_error(
        "x => x.map((a, b) => a)",
        1,
        (1, 12),
        "`.map` passes 1 argument",
    );
    check_compile_error(
        "x => 30s",
        1,
        (1, 6),
        "the duration `30s` is not a value here",
    );
    let e = parse_expr("x => x.lenght").unwrap_or_else(|e| panic!("{e}"));
    let msg = compile(&e, 1).err().map(|e| e.message).unwrap_or_default();
    assert!(msg.ends_with("(did you mean `.length`?)"), "{msg}");
}

// Closed expressions evaluate to values; variables are rejected.
#[test]
fn constants() {
    let v = |src: &str| {
        let e = parse_expr(src).unwrap_or_else(|e| panic!("{e}"));
        eval_const(&e).map(|v| show(&v)).map_err(|e| e.message)
    };
    assert_eq!(v("List(1, 2)"), Ok("List(1, 2)".into()));
    assert_eq!(v("(\"a\", -1, 2.5)"), Ok("(\"a\",-1,2.5)".into()));
    assert_eq!(v("Some(1 + 2 * 3)"), Ok("Some(7)".into()));
    assert_eq!(v("None"), Ok("None".into()));
    assert_eq!(v("List(3, 1).sorted.head"), Ok("1".into()));
    assert_eq!(v("1 / 0"), Err("/ by zero".into()));
    assert!(v("x").is_err_and(|m| m.starts_with("unknown variable `x`")));
}

// The built-in list is complete, unique and documented.
#[test]
fn builtin_docs() {
    let docs = builtins();
    let mut names: Vec<&str> = docs.iter().map(|d| d.name).collect();
    for must in [
        "split",
        "words",
        "pair",
        "pair1",
        "sum",
        "sub",
        "max",
        "min",
        "identity",
        "runningSum",
        "runningAvg",
    ] {
        assert!(names.contains(&must), "{must} missing");
    }
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), docs.len());
    for d in docs {
        assert!(!d.doc.is_empty() && d.signature.starts_with(d.name));
        let src = if d.signature.contains('(') {
            format!("{}(\"a\")", d.name)
        } else {
            d.name.to_string()
        };
        let e = parse_expr(&src).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            compile(&e, d.arity).is_ok(),
            "{src} does not compile with arity {}",
            d.arity
        );
    }
}
