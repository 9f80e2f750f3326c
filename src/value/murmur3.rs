//! Scala 2.12's `scala.util.hashing.MurmurHash3` (src/library/scala/util/hashing/
//! MurmurHash3.scala) and the JVM hash codes it mixes (`scala.runtime.Statics.anyHash`,
//! `java.lang.{String, Long, Double, Float}.hashCode`), transcribed so that a tuple key lands
//! in the partition Spark's `HashPartitioner` gives it. All arithmetic wraps as Java's `int`
//! does. Values are pinned against Scala 2.12.18 (the library Spark 3.5.3 ships) by
//! `scripts/spark-diff-hashes.scala`.

use super::Value;

/// `MurmurHash3.productSeed`.
pub const PRODUCT_SEED: i32 = 0xcafe_babe_u32 as i32;
/// `MurmurHash3.arraySeed` (also the seed of `bytesHash`).
pub const ARRAY_SEED: i32 = 0x3c07_4a61;

/// `MurmurHash3.seqSeed`: `"Seq".hashCode`.
pub fn seq_seed() -> i32 {
    string_hash_code("Seq")
}

/// `MurmurHash3.setSeed`: `"Set".hashCode`.
pub fn set_seed() -> i32 {
    string_hash_code("Set")
}

/// `MurmurHash3.mapSeed`: `"Map".hashCode`.
pub fn map_seed() -> i32 {
    string_hash_code("Map")
}

/// `mixLast(hash, data)`: one block mixed in without the final rotation.
pub fn mix_last(hash: i32, data: i32) -> i32 {
    let mut k = data;
    k = k.wrapping_mul(0xcc9e_2d51_u32 as i32);
    k = k.rotate_left(15);
    k = k.wrapping_mul(0x1b87_3593);
    hash ^ k
}

/// `mix(hash, data)`: one 32-bit block mixed into the running hash.
pub fn mix(hash: i32, data: i32) -> i32 {
    let h = mix_last(hash, data).rotate_left(13);
    h.wrapping_mul(5).wrapping_add(0xe654_6b64_u32 as i32)
}

/// `finalizeHash(hash, length)`: `avalanche(hash ^ length)`.
pub fn finalize_hash(hash: i32, length: i32) -> i32 {
    let mut h = (hash ^ length) as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// `productHash(x, productSeed)` of a product with these elements (arity > 0): a
/// tuple's or a case class's `hashCode`.
pub fn product_hash(fields: &[Value]) -> i32 {
    let mut h = PRODUCT_SEED;
    for f in fields {
        h = mix(h, f.scala_hash());
    }
    finalize_hash(h, fields.len() as i32)
}

/// `orderedHash(xs, seed)`: a `Seq`'s hash with `seqSeed`.
pub fn ordered_hash(items: &[Value], seed: i32) -> i32 {
    let mut h = seed;
    for x in items {
        h = mix(h, x.scala_hash());
    }
    finalize_hash(h, items.len() as i32)
}

/// `unorderedHash(xs, seed)`: a `Set`'s (`setSeed`) or `Map`'s (`mapSeed`, over its
/// `(k, v)` tuples) hash, independent of the order.
pub fn unordered_hash(items: &[Value], seed: i32) -> i32 {
    let (mut a, mut b, mut c) = (0i32, 0i32, 1i32);
    for x in items {
        let h = x.scala_hash();
        a = a.wrapping_add(h);
        b ^= h;
        if h != 0 {
            c = c.wrapping_mul(h);
        }
    }
    let mut h = seed;
    h = mix(h, a);
    h = mix(h, b);
    h = mix_last(h, c);
    finalize_hash(h, items.len() as i32)
}

/// `bytesHash(data, seed)`: 4 little-endian bytes a block, then the tail.
pub fn bytes_hash(data: &[u8], seed: i32) -> i32 {
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        h = mix(h, i32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k = 0i32;
        for (i, b) in tail.iter().enumerate() {
            k ^= i32::from(*b) << (8 * i);
        }
        h = mix_last(h, k);
    }
    finalize_hash(h, data.len() as i32)
}

/// `java.lang.String.hashCode`: `31 * h + c` over the UTF-16 code units.
pub fn string_hash_code(s: &str) -> i32 {
    let mut h: i32 = 0;
    if s.is_ascii() {
        for b in s.bytes() {
            h = h.wrapping_mul(31).wrapping_add(i32::from(b));
        }
    } else {
        for unit in s.encode_utf16() {
            h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
        }
    }
    h
}

/// `java.lang.Long.hashCode(v)`: `(int) (v ^ (v >>> 32))`.
pub fn long_hash_code(v: i64) -> i32 {
    let u = v as u64;
    (u ^ (u >> 32)) as i32
}

/// `java.lang.Double.hashCode(x)` over `doubleToLongBits` (one canonical NaN).
pub fn double_hash_code(x: f64) -> i32 {
    let bits = if x.is_nan() {
        0x7ff8_0000_0000_0000_u64
    } else {
        x.to_bits()
    };
    (bits ^ (bits >> 32)) as i32
}

/// `scala.runtime.Statics.doubleHash`: a double's `##` is the hash of the `Int`, `Long`
/// or `Float` of equal value if there is one, else `Double.hashCode`.
pub fn double_hash(x: f64) -> i32 {
    let iv = x as i32; // Java's (int) cast saturates, and NaN is 0, as Rust's `as` does
    if f64::from(iv) == x {
        return iv;
    }
    let lv = x as i64;
    if lv as f64 == x {
        return long_hash_code(lv);
    }
    let fv = x as f32;
    if f64::from(fv) == x {
        let bits = if fv.is_nan() {
            0x7fc0_0000
        } else {
            fv.to_bits()
        };
        return bits as i32;
    }
    double_hash_code(x)
}

/// Scala 2.12's `HashMap.improve`/`HashSet.improve`: the bits a hash trie branches on.
pub fn improve(hcode: i32) -> i32 {
    let mut h = hcode.wrapping_add(!(hcode.wrapping_shl(9)));
    h ^= ((h as u32) >> 14) as i32;
    h = h.wrapping_add(h.wrapping_shl(4));
    h ^ ((h as u32) >> 10) as i32
}

/// The order in which Scala 2.12's immutable `HashSet` (a hash trie) iterates these
/// distinct elements: by the improved hash's 5-bit chunks, lowest chunk first (each
/// trie level branches on the next 5 bits, children in bitmap order). Elements whose
/// hashes are equal keep their order (a collision node's `ListSet` iterates in insertion
/// order). For a `Map` pass `key_of` = the pair's key.
pub fn hash_trie_order(items: &mut [Value], key_of: fn(&Value) -> &Value) {
    // Reversing the bits of each 5-bit chunk's position turns "lowest chunk first" into
    // a plain integer order: bit-reverse the 32-bit word after regrouping chunks.
    fn trie_key(h: i32) -> u64 {
        let h = h as u32;
        let mut key: u64 = 0;
        // 7 chunks: bits 0-4, 5-9, ..., 30-31 (the last has 2 bits)
        for level in 0..7 {
            let chunk = u64::from((h >> (5 * level)) & 0x1f);
            key = (key << 5) | chunk;
        }
        key
    }
    items.sort_by_key(|v| trie_key(improve(key_of(v).scala_hash())));
}
