//! A 64-bit hash of each row over a few key columns, from polars' vector
//! hasher. Hashing in place is several times cheaper than grouping or
//! sorting millions of strings; a collision is always caught by an exact
//! test on the columns themselves.

use polars::prelude::*;

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

/// True when a hash appears twice. Sorting the hashes is several times
/// faster than a hash set of them: millions of random probes miss the cache.
pub fn has_repeated_hash(hashes: &Column) -> PolarsResult<bool> {
    let mut hashes: Vec<u64> = hashes.u64()?.into_no_null_iter().collect();
    hashes.sort_unstable();
    Ok(hashes.windows(2).any(|pair| pair[0] == pair[1]))
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
}
