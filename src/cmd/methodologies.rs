//! `shnor methodologies`: the presets built into the program.

use std::process::ExitCode;

use super::print_out;

pub fn run() -> anyhow::Result<ExitCode> {
    for (name, text) in shnor::methodology::PRESETS {
        let m = shnor::methodology::LoadedMethodology::parse(text, name)?;
        let mut text = format!(
            "{name}\n  {}\n  источник: {}\n",
            m.rule.title, m.rule.source
        );
        for a in &m.rule.assumptions {
            text.push_str(&format!("  допущение: {a}\n"));
        }
        print_out(&format!("{text}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
