//! The files of a run, written into its staging folder: every output as
//! Parquet and CSV, rejected.csv, report.xlsx and the partitions.

use anyhow::Result;
use polars::prelude::*;
use rayon::prelude::*;

use crate::methodology::LoadedMethodology;
use crate::write::Staging;
use crate::write::manifest::OutputRecord;
use crate::write::partition::PartitionKey;
use crate::write::xlsx::Sheet;

/// How long writing each file took, in milliseconds (files are written in
/// parallel, so these overlap).
pub(crate) type WriteTimes = Vec<(String, u128)>;

/// Every file of the output folder but the manifest, with the record of
/// each for it and the time each took.
pub(crate) fn write_files(
    staging: &Staging,
    outputs: &[(&'static str, DataFrame)],
    rejected: &mut DataFrame,
    (registry, partition_by, current_year): (&DataFrame, &[PartitionKey], i32),
    methodology: &LoadedMethodology,
) -> Result<(Vec<OutputRecord>, WriteTimes)> {
    let mut records: Vec<OutputRecord> = outputs
        .iter()
        .map(|(name, frame)| OutputRecord {
            file: format!("{name}.parquet, {name}.csv"),
            rows: frame.height(),
        })
        .collect();
    if !partition_by.is_empty() {
        write_partitions(staging, outputs, registry, partition_by, current_year)?;
        records.push(OutputRecord {
            file: "partitioned/".into(),
            rows: partition_by.len(),
        });
    }
    staging.write_csv("rejected", rejected)?;
    records.push(OutputRecord {
        file: "rejected.csv".into(),
        rows: rejected.height(),
    });
    let (sheets, times) = write_tables(staging, outputs, methodology)?;
    records.push(OutputRecord {
        file: "report.xlsx".into(),
        rows: sheets + 1,
    });
    Ok((records, times))
}

/// Ends every output with the trailing columns: the methodology and run id.
pub(crate) fn stamp(
    outputs: &mut [(&'static str, DataFrame)],
    methodology: &str,
    run_id: &str,
) -> Result<()> {
    let text_column = |name: &str, value: &str, height: usize| {
        Column::new_scalar(
            name.into(),
            Scalar::new(DataType::String, AnyValue::StringOwned(value.into())),
            height,
        )
    };
    for (_, frame) in outputs.iter_mut() {
        let height = frame.height();
        frame.with_column(text_column("methodology", methodology, height))?;
        frame.with_column(text_column("run_id", run_id, height))?;
    }
    Ok(())
}

/// `--partition-by`: the lists, schools and procedures as hive-style Parquet.
pub(crate) fn write_partitions(
    staging: &Staging,
    outputs: &[(&'static str, DataFrame)],
    registry: &DataFrame,
    partition_by: &[PartitionKey],
    current_year: i32,
) -> Result<()> {
    let region = registry
        .clone()
        .lazy()
        .select([col("school_id"), col("region")]);
    for (name, frame) in outputs
        .iter()
        .filter(|(n, _)| ["procedures", "shnor", "shnsu", "schools"].contains(n))
    {
        let year = if frame.schema().contains("year") {
            col("year")
        } else {
            lit(current_year).alias("year")
        };
        let keyed = frame
            .clone()
            .lazy()
            .join(
                region.clone(),
                [col("school_id")],
                [col("school_id")],
                JoinArgs::new(JoinType::Left),
            )
            .with_column(year)
            .collect()?;
        crate::write::partition::write_partitioned(
            &staging.path(&format!("partitioned/{name}")),
            &keyed,
            partition_by,
            staging,
        )?;
    }
    Ok(())
}

/// The sheets of report.xlsx, in their declared order.
pub(crate) fn sheets<'a>(outputs: &'a [(&'static str, DataFrame)]) -> Vec<Sheet<'a>> {
    let declared = crate::outputs::declared();
    declared
        .sheets
        .iter()
        .filter_map(|name| {
            let (output, frame) = outputs.iter().find(|(n, _)| n == name)?;
            Some(Sheet {
                output,
                name: declared.output(name).sheet.as_deref()?,
                frame,
            })
        })
        .collect()
}

/// Every output as Parquet and CSV, and report.xlsx; returns the number of
/// list sheets in the workbook and the time of each file.
pub(crate) fn write_tables(
    staging: &Staging,
    outputs: &[(&'static str, DataFrame)],
    methodology: &LoadedMethodology,
) -> Result<(usize, WriteTimes)> {
    let report_sheets = sheets(outputs);
    let methodology_rows =
        crate::write::xlsx::methodology_rows(&serde_json::to_value(&methodology.rule)?);
    // Each file is written by its own task: they are independent, so the
    // order does not change a byte, and the large procedures table no
    // longer waits for the others.
    type WriteJob<'a> = (String, Box<dyn FnOnce() -> Result<()> + Send + 'a>);
    let mut jobs: Vec<WriteJob> = vec![(
        "report.xlsx".into(),
        Box::new(|| {
            crate::write::xlsx::write_report(
                &staging.path("report.xlsx"),
                &report_sheets,
                crate::outputs::declared().sheet_max_rows,
                &methodology_rows,
            )
        }),
    )];
    for (name, frame) in outputs {
        let (mut parquet, mut csv) = (frame.clone(), frame.clone());
        jobs.push((
            format!("{name}.parquet"),
            Box::new(move || staging.write_parquet(name, &mut parquet)),
        ));
        jobs.push((
            format!("{name}.csv"),
            Box::new(move || staging.write_csv(name, &mut csv)),
        ));
    }
    let times = jobs
        .into_par_iter()
        .map(|(file, job)| {
            let start = std::time::Instant::now();
            job().map(|()| (file, start.elapsed().as_millis()))
        })
        .collect::<Result<WriteTimes>>()?;
    Ok((report_sheets.len(), times))
}
