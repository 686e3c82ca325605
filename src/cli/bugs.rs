//! `faultline bugs`: the seeded-bug catalogue, one bug per line with the
//! layer it lives in, what the mutated code does and the rule it breaks
//! (`--json` for tools). Any of them runs with `faultline run --inject-bug NAME`.

use super::{CliError, Exit};
use clap::Args;
use faultline_raft::bugs::Bug;
use serde::Serialize;

/// `faultline bugs` arguments.
#[derive(Debug, Args)]
pub struct BugsArgs {
    /// Print the catalogue as a JSON array.
    #[arg(long)]
    pub json: bool,
}

/// One catalogue entry, as `--json` prints it.
#[derive(Debug, Serialize)]
struct BugEntry {
    name: &'static str,
    layer: &'static str,
    description: &'static str,
    rule: &'static str,
}

/// Lists the catalogue.
pub fn run(args: BugsArgs) -> Result<Exit, CliError> {
    print!("{}", render(args.json)?);
    Ok(Exit::Valid)
}

fn render(json: bool) -> Result<String, CliError> {
    if json {
        let entries: Vec<BugEntry> = Bug::ALL
            .iter()
            .map(|b| BugEntry {
                name: b.name(),
                layer: b.layer(),
                description: b.description(),
                rule: b.rule(),
            })
            .collect();
        let text = serde_json::to_string_pretty(&entries)
            .map_err(|e| CliError::Internal(anyhow::anyhow!("encoding the catalogue: {e}")))?;
        return Ok(text + "\n");
    }
    let width = Bug::ALL.iter().map(|b| b.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for b in Bug::ALL {
        out.push_str(&format!(
            "{:width$}  {:6}  {}\n{:width$}  {:6}  breaks: {}\n",
            b.name(),
            b.layer(),
            b.description(),
            "",
            "",
            b.rule()
        ));
    }
    out.push_str("run one with: faultline run --inject-bug NAME (repeatable)\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_is_listed_with_its_rule_in_text_and_json() {
        let text = render(false).unwrap();
        let json: serde_json::Value = serde_json::from_str(&render(true).unwrap()).unwrap();
        let entries = json.as_array().unwrap();
        assert_eq!(entries.len(), Bug::ALL.len());
        for (b, e) in Bug::ALL.iter().zip(entries) {
            assert!(text.contains(b.name()) && text.contains(b.rule()), "{b}");
            assert_eq!(e["name"], b.name());
            assert_eq!(e["rule"], b.rule());
        }
    }
}
