//! The contextual model: each school's failure share regressed on its risk
//! score by weighted least squares (weights = participants), after the HSE
//! line of research (results against social context).

use anyhow::Result;
use polars::prelude::*;

use crate::codes::{Code, CountStatus};
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::Years;
use crate::methodology::LoadedMethodology;

/// The fitted line and how well it fits.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Fit {
    /// Schools in the regression (with results and a risk score).
    pub schools: usize,
    pub intercept: Option<f64>,
    pub slope: Option<f64>,
    /// Weighted R².
    pub r_squared: Option<f64>,
    /// Residual standard deviation σ (per unit weight).
    pub sigma: Option<f64>,
    /// Two-sided p-value of the slope (Student's t, n − 2 degrees of freedom).
    pub slope_p_value: Option<f64>,
}

/// Each school's overall results in the current year: participants and
/// failed over the procedures in scope with enough participants.
pub fn school_results(
    counted: &DataFrame,
    years: &Years,
    m: &LoadedMethodology,
) -> Result<DataFrame> {
    Ok(counted
        .clone()
        .lazy()
        .filter(
            col("year")
                .eq(lit(years.current))
                .and(col("count_status").neq(lit(CountStatus::OutOfScope.code())))
                .and(col("participants").gt_eq(lit(m.rule.shnor.min_participants as i64))),
        )
        .group_by([col("school_id")])
        .agg([
            col("participants").sum().alias("school_participants"),
            col("failed").sum().alias("school_failed"),
        ])
        .with_column(
            (col("school_failed").cast(DataType::Float64)
                / col("school_participants").cast(DataType::Float64))
            .alias("school_fail_share"),
        )
        .sort(["school_id"], SortMultipleOptions::default())
        .collect()?)
}

/// Every school with results in the current year, its participants and
/// failure share, with the fitted values where it has a risk score: the
/// participants of a school never depend on the survey.
pub fn every_school_with_results(results: &DataFrame, fitted: DataFrame) -> LazyFrame {
    results
        .clone()
        .lazy()
        .select([
            col("school_id"),
            col("school_participants"),
            col("school_fail_share"),
        ])
        .join(
            fitted.lazy().select([
                col("school_id"),
                col("expected_share"),
                col("residual"),
                col("std_residual"),
            ]),
            [col("school_id")],
            [col("school_id")],
            JoinArgs::new(JoinType::Left),
        )
}

/// Weighted least squares of y on x with weights w.
///
/// Returns the fit and, per school, expected share, residual and standardised
/// residual r·√w / σ, where σ² = Σ w r² / (n − 2).
pub fn fit(results: &DataFrame, decisions: &DataFrame) -> Result<(Fit, DataFrame)> {
    let data = fit_data(results, decisions)?;
    let n = data.height();
    let m = Moments::of(&data)?;
    // NaN (no schools) and zero spread both leave the slope undefined.
    if n < 3 || m.sxx.is_nan() || m.sxx <= 0.0 {
        let fit = Fit {
            schools: n,
            intercept: None,
            slope: None,
            r_squared: None,
            sigma: None,
            slope_p_value: None,
        };
        return Ok((fit, fitted_table(data.lazy(), None)?));
    }
    let slope = m.sxy / m.sxx;
    let intercept = m.y_bar - slope * m.x_bar;
    let expected = lit(intercept) + lit(slope) * col("x");
    let with_residuals = data
        .lazy()
        .with_columns([expected.alias("expected_share")])
        .with_columns([(col("y") - col("expected_share")).alias("residual")])
        .collect()?;
    let ss_res = first(
        &with_residuals
            .clone()
            .lazy()
            .select([(col("w") * col("residual").pow(2)).sum().alias("ss")])
            .collect()?,
        "ss",
    )?;
    let sigma = (ss_res / (n as f64 - 2.0)).sqrt();
    let r_squared = if m.syy > 0.0 {
        1.0 - ss_res / m.syy
    } else {
        f64::NAN
    };
    let slope_se = sigma / m.sxx.sqrt();
    let slope_p_value = if slope_se > 0.0 {
        let t = StudentsT::new(0.0, 1.0, n as f64 - 2.0)?;
        Some(2.0 * (1.0 - t.cdf((slope / slope_se).abs())))
    } else {
        None
    };
    let fit = Fit {
        schools: n,
        intercept: Some(intercept),
        slope: Some(slope),
        r_squared: Some(r_squared),
        sigma: Some(sigma),
        slope_p_value,
    };
    Ok((fit, fitted_table(with_residuals.lazy(), Some(sigma))?))
}

/// The schools with a risk score: x the score, y the «2» share, w the
/// participants.
fn fit_data(results: &DataFrame, decisions: &DataFrame) -> Result<DataFrame> {
    Ok(results
        .clone()
        .lazy()
        .join(
            decisions
                .clone()
                .lazy()
                .select([col("school_id"), col("risk_score")]),
            [col("school_id")],
            [col("school_id")],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(col("risk_score").is_not_null())
        .select([
            col("school_id"),
            col("school_participants"),
            col("school_fail_share"),
            col("risk_score").alias("x"),
            col("school_fail_share").alias("y"),
            col("school_participants")
                .cast(DataType::Float64)
                .alias("w"),
        ])
        .collect()?)
}

/// The weighted means and centred sums of squares of x and y.
struct Moments {
    x_bar: f64,
    y_bar: f64,
    sxy: f64,
    sxx: f64,
    syy: f64,
}

impl Moments {
    fn of(data: &DataFrame) -> Result<Moments> {
        let sums = data
            .clone()
            .lazy()
            .select([
                col("w").sum().alias("sw"),
                (col("w") * col("x")).sum().alias("swx"),
                (col("w") * col("y")).sum().alias("swy"),
            ])
            .collect()?;
        let sw = first(&sums, "sw")?;
        let (x_bar, y_bar) = (first(&sums, "swx")? / sw, first(&sums, "swy")? / sw);
        let centred = data
            .clone()
            .lazy()
            .select([
                (col("w") * (col("x") - lit(x_bar)) * (col("y") - lit(y_bar)))
                    .sum()
                    .alias("sxy"),
                (col("w") * (col("x") - lit(x_bar)).pow(2))
                    .sum()
                    .alias("sxx"),
                (col("w") * (col("y") - lit(y_bar)).pow(2))
                    .sum()
                    .alias("syy"),
            ])
            .collect()?;
        Ok(Moments {
            x_bar,
            y_bar,
            sxy: first(&centred, "sxy")?,
            sxx: first(&centred, "sxx")?,
            syy: first(&centred, "syy")?,
        })
    }
}

/// The first value of a float column (NaN when there is none).
fn first(frame: &DataFrame, column: &str) -> Result<f64> {
    Ok(frame.column(column)?.f64()?.get(0).unwrap_or(f64::NAN))
}

/// The table `context.sql` reads: with the fit, expected share, residual and
/// standardised residual; without (`sigma` None), those three are null.
fn fitted_table(data: LazyFrame, sigma: Option<f64>) -> Result<DataFrame> {
    let null = || lit(NULL).cast(DataType::Float64);
    let (expected, residual, standardised) = match sigma {
        None => (null(), null(), null()),
        Some(s) if s > 0.0 => (
            col("expected_share"),
            col("residual"),
            col("residual") * col("w").sqrt() / lit(s),
        ),
        Some(_) => (col("expected_share"), col("residual"), null()),
    };
    Ok(data
        .select([
            col("school_id"),
            col("school_participants"),
            col("school_fail_share"),
            expected.alias("expected_share"),
            residual.alias("residual"),
            standardised.alias("std_residual"),
        ])
        .collect()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values worked out by hand:
    /// x = [-1, 0, 1, 2], y = [0.1, 0.2, 0.2, 0.5], w = [10, 20, 20, 10].
    /// Σw = 60, x̄ = (−10 + 0 + 20 + 20)/60 = 0.5, ȳ = (1 + 4 + 4 + 5)/60 = 0.2333…
    /// Sxy = 10(−1.5)(−0.1333) + 20(−0.5)(−0.0333) + 20(0.5)(−0.0333) + 10(1.5)(0.2667) = 6
    /// Sxx = 10·2.25 + 20·0.25 + 20·0.25 + 10·2.25 = 55
    /// slope = 6/55 = 0.10909, intercept = 0.23333 − 0.5·0.10909 = 0.17879
    #[test]
    fn weighted_least_squares_matches_hand_computation() {
        let results = df!(
            "school_id" => ["a", "b", "c", "d"],
            "school_participants" => [10i64, 20, 20, 10],
            "school_failed" => [1i64, 4, 4, 5],
            "school_fail_share" => [0.1, 0.2, 0.2, 0.5],
        )
        .unwrap();
        let decisions = df!(
            "school_id" => ["a", "b", "c", "d"],
            "risk_score" => [-1.0, 0.0, 1.0, 2.0],
        )
        .unwrap();
        let (fit, rows) = fit(&results, &decisions).unwrap();
        let slope = fit.slope.unwrap();
        let intercept = fit.intercept.unwrap();
        assert!((slope - 6.0 / 55.0).abs() < 1e-12, "{slope}");
        assert!(
            (intercept - (14.0 / 60.0 - 0.5 * 6.0 / 55.0)).abs() < 1e-12,
            "{intercept}"
        );
        // Residual of d: 0.5 − (0.17879 + 2·0.10909) = 0.10303.
        let residual = rows
            .column("residual")
            .unwrap()
            .f64()
            .unwrap()
            .get(3)
            .unwrap();
        assert!((residual - (0.5 - intercept - 2.0 * slope)).abs() < 1e-12);
        // σ² = Σ w r² / (n − 2); the standardised residual is r·√w / σ.
        let r: Vec<f64> = rows
            .column("residual")
            .unwrap()
            .f64()
            .unwrap()
            .iter()
            .flatten()
            .collect();
        let w = [10.0, 20.0, 20.0, 10.0];
        let ss: f64 = r.iter().zip(w).map(|(r, w)| w * r * r).sum();
        let sigma = (ss / 2.0).sqrt();
        let std_d = rows
            .column("std_residual")
            .unwrap()
            .f64()
            .unwrap()
            .get(3)
            .unwrap();
        assert!((std_d - r[3] * 10f64.sqrt() / sigma).abs() < 1e-12);
        assert!(fit.slope_p_value.unwrap() > 0.0 && fit.slope_p_value.unwrap() < 1.0);
    }

    #[test]
    fn too_few_schools_give_no_fit() {
        let results = df!(
            "school_id" => ["a"],
            "school_participants" => [10i64],
            "school_failed" => [1i64],
            "school_fail_share" => [0.1],
        )
        .unwrap();
        let decisions = df!("school_id" => ["a"], "risk_score" => [1.0]).unwrap();
        let (fit, rows) = fit(&results, &decisions).unwrap();
        assert_eq!(fit.slope, None);
        assert_eq!(rows.column("residual").unwrap().null_count(), 1);
    }
}
