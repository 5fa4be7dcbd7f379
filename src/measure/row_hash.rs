//! A 64-bit hash of each row over a few key columns, from polars' vector
//! hasher. Hashing in place is several times cheaper than grouping or
//! sorting millions of strings; a collision is always caught by an exact
//! test on the columns themselves.

use polars::prelude::*;
use rayon::prelude::*;

const SEED: u64 = 0x0053_484e_4f52;

/// The hash of `columns` (each String or Int32), as a UInt64 column `name`.
pub fn row_hash(columns: Vec<Expr>, name: &'static str) -> Expr {
    map_multiple(
        move |columns: &mut [Column]| {
            let state = PlSeedableRandomStateQuality::seed_from_u64(SEED);
            let mut hashes = Vec::with_capacity(columns[0].len());
            for (i, column) in columns.iter().enumerate() {
                match (i, column.dtype()) {
                    (0, DataType::String) => column.str()?.vec_hash(state.clone(), &mut hashes)?,
                    (0, DataType::Int32) => column.i32()?.vec_hash(state.clone(), &mut hashes)?,
                    (_, DataType::String) => {
                        column.str()?.vec_hash_combine(state.clone(), &mut hashes)?
                    }
                    (_, DataType::Int32) => {
                        column.i32()?.vec_hash_combine(state.clone(), &mut hashes)?
                    }
                    (_, other) => polars_bail!(InvalidOperation: "row_hash: cannot hash {other}"),
                }
            }
            Ok(UInt64Chunked::from_vec(name.into(), hashes).into_column())
        },
        columns,
        move |_, _| Ok(Field::new(name.into(), DataType::UInt64)),
    )
    .alias(name)
}

/// True when a hash appears twice, in one pass over the hashes and no sort
/// of them all: they are scattered by their top bits into buckets small
/// enough to sort in cache, and the buckets are checked in parallel. (A hash
/// set misses the cache on every probe; one sort of tens of millions of
/// hashes was most of a national file's check.)
pub fn has_repeated_hash(hashes: &Column) -> PolarsResult<bool> {
    let hashes = hashes.u64()?;
    let n = hashes.len() - hashes.null_count();
    let bits = bucket_bits(n);
    let shift = 64 - bits;
    let bucket = |h: u64| if bits == 0 { 0 } else { (h >> shift) as usize };
    let mut counts = vec![0usize; 1 << bits];
    for h in hashes.into_no_null_iter() {
        counts[bucket(h)] += 1;
    }
    let mut next: Vec<usize> = counts
        .iter()
        .scan(0, |start, c| {
            let at = *start;
            *start += c;
            Some(at)
        })
        .collect();
    let mut scattered = vec![0u64; n];
    for h in hashes.into_no_null_iter() {
        let b = bucket(h);
        scattered[next[b]] = h;
        next[b] += 1;
    }
    let mut buckets = Vec::with_capacity(counts.len());
    let mut rest = scattered.as_mut_slice();
    for count in counts {
        let (this, after) = rest.split_at_mut(count);
        buckets.push(this);
        rest = after;
    }
    Ok(buckets.into_par_iter().any(|b| {
        b.sort_unstable();
        b.windows(2).any(|pair| pair[0] == pair[1])
    }))
}

/// How many top bits choose a bucket: about 32 768 hashes (256 KB) each.
fn bucket_bits(n: usize) -> u32 {
    let mut bits = 0;
    while bits < 16 && (n >> bits) > 32_768 {
        bits += 1;
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_rows_hash_equal_and_different_rows_differ() {
        let frame = df!(
            "a" => ["x", "x", "y", "x"],
            "b" => [1, 1, 1, 2],
        )
        .unwrap();
        let hashed = frame
            .lazy()
            .select([row_hash(vec![col("a"), col("b")], "h")])
            .collect()
            .unwrap();
        let h: Vec<u64> = hashed
            .column("h")
            .unwrap()
            .u64()
            .unwrap()
            .into_no_null_iter()
            .collect();
        assert_eq!(h[0], h[1]);
        assert_ne!(h[0], h[2]);
        assert_ne!(h[0], h[3]);
        assert_ne!(h[2], h[3]);
        let column = hashed.column("h").unwrap();
        assert!(has_repeated_hash(column).unwrap());
        assert!(!has_repeated_hash(&column.slice(1, 3)).unwrap());
    }

    /// Enough hashes for thousands of buckets: a repeat is found whichever
    /// bucket it falls in, and none is found where there is none.
    #[test]
    fn a_repeat_is_found_in_any_bucket() {
        let distinct: Vec<u64> = (0..200_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        let column = |v: &[u64]| UInt64Chunked::from_slice("h".into(), v).into_column();
        assert!(bucket_bits(distinct.len()) >= 2);
        assert!(!has_repeated_hash(&column(&distinct)).unwrap());
        for at in [0, 1, 99_999, 199_998] {
            let mut repeated = distinct.clone();
            repeated.push(distinct[at]);
            assert!(has_repeated_hash(&column(&repeated)).unwrap(), "{at}");
        }
        assert!(!has_repeated_hash(&column(&[])).unwrap());
    }
}
